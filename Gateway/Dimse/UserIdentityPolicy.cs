using System.Net;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Pdus;
using Pacs.Gateway.Audit;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Cluster;
using Pacs.Grains.Accounts;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// DICOM User Identity Negotiation (PS3.7 D.3.3.7) against the accounts, around the node policy: a username and
/// passcode (type 2) is checked by the account's <see cref="IUserGrain"/>, the same check, failure count and lockout as
/// <c>POST /auth/login</c>, behind the same per-address and per-account throttle; a JWT (type 5) must be one of our
/// access tokens of a live session. The association then acts as that account (<see cref="AssociationInfo.User"/>): its
/// role narrows the presentation contexts (<see cref="DimseRoles"/>) and its access groups filter C-FIND, C-MOVE and
/// C-GET in the index query. Refused credentials, and no identity from a node registered with
/// <c>requireUserIdentity</c>, are answered A-ASSOCIATE-RJ permanent, service-user, reason 1 "no-reason-given"
/// (PS3.8 9.3.4, Table 9-21: the standard has no authentication reason, and one answer for every refusal tells a
/// prober nothing). An account with a TOTP second factor (or an admin where TOTP is required) cannot log in over DIMSE,
/// which has no field for the code; nor can one that must change its password first.
/// </summary>
internal sealed partial class UserIdentityPolicy(
    IAssociationPolicy inner, NodeAccess nodes, IClusterClient cluster, GrainCalls calls, LoginThrottle throttle,
    SigningKeys keys, SessionValidator sessions, AuditWriter audit, IOptions<DimseOptions> options,
    ILogger<UserIdentityPolicy> logger) : IAssociationPolicy
{
    public async ValueTask<AssociationDecision> DecideAsync(AssociateRequestPdu request, EndPoint? remoteEndPoint, CancellationToken cancellationToken)
    {
        var decision = await inner.DecideAsync(request, remoteEndPoint, cancellationToken).ConfigureAwait(false);
        if (decision.Reject is not null)
        {
            return decision;
        }

        var identity = request.UserInformation.UserIdentityRequest;
        var address = Address(remoteEndPoint);
        // PS3.7 D.3.3.7: an acceptor that does not support an identity type ignores the sub-item (Kerberos, SAML).
        if (identity is null || identity.Type is UserIdentityType.Kerberos or UserIdentityType.Saml)
        {
            if (await nodes.FindAsync(request.CallingAeTitle, cancellationToken).ConfigureAwait(false) is not { RequireUserIdentity: true })
            {
                return decision;
            }

            Record(request, address, "", "login.failed", "identity-required");
            LogRefused(logger, request.CallingAeTitle, "identity-required");
            return Refused;
        }

        var (user, reason) = identity.Type switch
        {
            UserIdentityType.UsernameAndPasscode => await PasswordAsync(request, identity, address, cancellationToken).ConfigureAwait(false),
            UserIdentityType.Jwt => await TokenAsync(identity, cancellationToken).ConfigureAwait(false),
            _ => options.Value.AcceptUsernameWithoutPasscode
                ? await UsernameOnlyAsync(identity, cancellationToken).ConfigureAwait(false)
                : (null, "username-without-passcode"),
        };
        if (user is null)
        {
            // Type 2 records its own attempts (with the lockout); the others are one failed login each.
            if (identity.Type != UserIdentityType.UsernameAndPasscode)
            {
                Record(request, address, identity.Type == UserIdentityType.Username ? IUserGrain.LoginKeyFor(identity.PrimaryText) : "", "login.failed", reason);
            }

            LogRefused(logger, request.CallingAeTitle, reason);
            return Refused;
        }

        return DimseRoles.Narrow(decision, request, sopClass => DimseRoles.AllowsContext(user, sopClass)) with { User = user };
    }

    private static AssociationDecision Refused { get; } =
        AssociationDecision.Rejected(AssociateRejectResult.Permanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.NoReasonGiven);

    /// <summary>Type 2: the login of <c>POST /auth/login</c> without a TOTP code, one audit record per attempt.</summary>
    private async Task<(ClaimsPrincipal?, string)> PasswordAsync(AssociateRequestPdu request, UserIdentityRequest identity, string address, CancellationToken cancellationToken)
    {
        var key = IUserGrain.LoginKeyFor(identity.PrimaryText);
        if (!throttle.TryAcquire(address, key))
        {
            Record(request, address, key, "login.failed", "rate-limited");
            return (null, "rate-limited");
        }

        var grain = cluster.GetGrain<IUserGrain>(key);
        var password = identity.SecondaryText;
        var result = await calls.RunAsync("login", ct => grain.LoginAsync(password, null).WaitAsync(ct), cancellationToken).ConfigureAwait(false);
        if (result.Outcome == LoginOutcome.TotpRequired)
        {
            Record(request, address, key, "login.failed", "totp-required");
            return (null, "totp-required");
        }

        if (result.Outcome != LoginOutcome.Succeeded || result.Account is not { } account)
        {
            throttle.CountFailure(key);
            Record(request, address, key, result.Outcome == LoginOutcome.LockedNow ? "lockout" : "login.failed", result.Outcome.ToString());
            return (null, "bad-credentials");
        }

        if (account.MustChangePassword)
        {
            Record(request, address, key, "login.failed", "password-change-required");
            return (null, "password-change-required");
        }

        Record(request, address, key, "login", "", account.Role);
        return (Principal(account.Username, account.Role, account.Groups, "dicom-password"), "");
    }

    /// <summary>Type 5: one of our access tokens (RFC 7519, as <c>Authorization: Bearer</c> carries it) of a live session.</summary>
    private async Task<(ClaimsPrincipal?, string)> TokenAsync(UserIdentityRequest identity, CancellationToken cancellationToken)
    {
        if (identity.PrimaryField.Length > AccessToken.MaxLength)
        {
            return (null, "token too long");
        }

        var claims = AccessToken.Validate(identity.PrimaryText, keys, DateTimeOffset.UtcNow, out var failure);
        if (claims is null)
        {
            return (null, failure ?? "invalid token");
        }

        SessionView? session;
        try
        {
            session = await sessions.ValidateAsync(claims.SessionId, cancellationToken).ConfigureAwait(false);
        }
        catch (SessionCheckUnavailableException)
        {
            return (null, "session check unavailable");
        }

        if (session is null || session.MustChangePassword)
        {
            return (null, "session ended");
        }

        return (PacsClaims.Principal(session, "dicom-jwt", "dicom"), "");
    }

    /// <summary>Type 1, only with <see cref="DimseOptions.AcceptUsernameWithoutPasscode"/>: an identification without proof.</summary>
    private async Task<(ClaimsPrincipal?, string)> UsernameOnlyAsync(UserIdentityRequest identity, CancellationToken cancellationToken)
    {
        var grain = cluster.GetGrain<IUserGrain>(IUserGrain.LoginKeyFor(identity.PrimaryText));
        var account = await calls.RunAsync("account", ct => grain.GetAsync().WaitAsync(ct), cancellationToken).ConfigureAwait(false);
        if (account is null || !account.Enabled || account.MustChangePassword || account.LockedUntil > DateTimeOffset.UtcNow)
        {
            return (null, "unknown or unusable account");
        }

        return (Principal(account.Username, account.Role, account.Groups, "dicom-username"), "");
    }

    private static ClaimsPrincipal Principal(string username, string role, IReadOnlyList<string> groups, string method)
    {
        var claims = new List<Claim> { new(PacsClaims.Username, username), new(PacsClaims.Role, role), new(PacsClaims.Method, method) };
        claims.AddRange(groups.Select(g => new Claim(PacsClaims.Group, g)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "dicom", PacsClaims.Username, PacsClaims.Role));
    }

    /// <summary>A DIMSE login's audit record, as <c>/auth/login</c> writes them (the actor is the username tried).</summary>
    private void Record(AssociateRequestPdu request, string address, string username, string action, string reason, string role = "") =>
        audit.Record(new AuditRecord
        {
            Actor = username.Length == 0 ? "ae:" + request.CallingAeTitle.Trim() : username.Length <= 256 ? username : username[..256],
            Role = role,
            ClientAddress = address,
            Action = action,
            Outcome = action == "login" ? "success" : "failure",
            Detail = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["service"] = "A-ASSOCIATE",
                ["callingAe"] = request.CallingAeTitle.Trim(),
                ["reason"] = reason,
            },
        });

    private static string Address(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.Address.ToString(),
        { } other => other.ToString() ?? "",
        null => "",
    };

    [LoggerMessage(EventId = 1120, Level = LogLevel.Information, Message = "Association from {CallingAe} rejected: user identity refused ({Reason})")]
    private static partial void LogRefused(ILogger logger, string callingAe, string reason);
}
