using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Auth;

namespace Pacs.Gateway.Tests;

/// <summary>
/// For in-process hosts without a cluster (the viewer hosting tests): a request carrying "X-Test-Role: doctor" is
/// authenticated with that role, one without it is not. The real scheme (sessions, tokens) is tested end to end in
/// EndToEnd.Tests against a running gateway.
/// </summary>
internal sealed class TestRoleAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "TestRole";
    public const string Header = "X-Test-Role";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var role = Request.Headers[Header].ToString();
        if (role.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity([new Claim(PacsClaims.Username, "tester"), new Claim(PacsClaims.Role, role)], SchemeName, PacsClaims.Username, PacsClaims.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
