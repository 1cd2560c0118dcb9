using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Pacs.Gateway.Auth;

/// <summary>
/// The one authentication scheme of the gateway. A request proves itself with a bearer access token (API clients) or
/// the session cookie (the browser); either way the session behind it must be live (<see cref="SessionValidator"/>),
/// so logout, revocation, a disabled account or a role change end access within the cache time even for a token
/// that has not expired. Failures answer 401 with problem details; a browser navigating to a page is sent to /login.
/// </summary>
internal sealed class PacsAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    SigningKeys keys,
    SessionValidator sessions,
    IOptions<AuthOptions> authOptions) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "Pacs";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string sessionId, method;
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            const string Bearer = "Bearer ";
            if (!authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
            {
                return AuthenticateResult.Fail("Only bearer tokens are accepted.");
            }

            var claims = AccessToken.Validate(authorization[Bearer.Length..].Trim(), keys, TimeProvider.GetUtcNow(), out var failure);
            if (claims is null)
            {
                AuthLog.TokenRefused(Logger, failure ?? "invalid");
                return AuthenticateResult.Fail("The access token is not valid.");
            }

            sessionId = claims.SessionId;
            method = "bearer";
        }
        else if (Request.Cookies.TryGetValue(authOptions.Value.CookieName, out var cookie) && cookie is { Length: > 0 and <= 128 })
        {
            sessionId = cookie;
            method = "cookie";
        }
        else
        {
            return AuthenticateResult.NoResult();
        }

        Grains.Accounts.SessionView? session;
        try
        {
            session = await sessions.ValidateAsync(sessionId, Context.RequestAborted).ConfigureAwait(false);
        }
        catch (SessionCheckUnavailableException ex)
        {
            // Not the caller's fault: answered 503 + Retry-After in the challenge, not 401 (which would send the
            // viewer to the login page in the middle of a failover).
            AuthLog.SessionCheckFailed(Logger, ex.InnerException ?? ex);
            Context.Items[SessionCheckUnavailable] = true;
            return AuthenticateResult.Fail("The session could not be checked.");
        }

        if (session is null)
        {
            return AuthenticateResult.Fail("The session has ended.");
        }

        var principal = PacsClaims.Principal(session, method, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private const string SessionCheckUnavailable = "pacs.session-check-unavailable";

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(SessionCheckUnavailable))
        {
            Response.Headers.RetryAfter = "2";
            await Results.Problem(title: "Service Unavailable", detail: "The session could not be checked; the cluster is recovering. Try again shortly.", statusCode: StatusCodes.Status503ServiceUnavailable)
                .ExecuteAsync(Context).ConfigureAwait(false);
            return;
        }

        if (IsPageNavigation(Request))
        {
            Response.Redirect(LoginEndpoints.LoginUrl(Request.Path + Request.QueryString));
            return;
        }

        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(title: "Unauthorized", detail: "Log in: a session cookie or a bearer access token is required.", statusCode: StatusCodes.Status401Unauthorized)
            .ExecuteAsync(Context).ConfigureAwait(false);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var mustChange = Context.User.HasClaim(c => c.Type == PacsClaims.PasswordChangeRequired);
        if (mustChange && IsPageNavigation(Request))
        {
            Response.Redirect("/login?change=1&returnUrl=" + Uri.EscapeDataString(Request.Path + Request.QueryString));
            return;
        }

        var detail = mustChange ? "The password must be changed first (POST /auth/password)." : "Your role does not allow this.";
        await Results.Problem(title: "Forbidden", detail: detail, statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(Context).ConfigureAwait(false);
    }

    /// <summary>A browser loading a page (not an API call): GET or HEAD of HTML outside the API prefixes.</summary>
    internal static bool IsPageNavigation(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
        && !ApiPaths.IsApiPath(request.Path);
}

/// <summary>The path prefixes that belong to APIs: never answered with a page or a redirect to one.</summary>
internal static class ApiPaths
{
    private static readonly string[] Prefixes = ["/dicom-web", "/wado", "/api", "/auth", "/health", "/metrics"];

    /// <summary>True for the prefixes themselves and anything below them, and for "/wado…" and "/health…" look-alikes.</summary>
    public static bool IsApiPath(PathString path)
    {
        var value = path.Value ?? "/";
        foreach (var prefix in Prefixes)
        {
            if (value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                && (value.Length == prefix.Length || value[prefix.Length] == '/' || prefix is "/wado" or "/health"))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Cache-Control for authentication answers: tokens and session facts are never stored by intermediaries.</summary>
internal static class NoStore
{
    public static void Apply(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers[HeaderNames.Pragma] = "no-cache";
    }
}
