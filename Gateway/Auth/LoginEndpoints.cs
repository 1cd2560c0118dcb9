using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Audit;
using Pacs.Gateway.Cluster;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>
/// /login (the page) and /auth/* (login, token, refresh, logout, me, password). Every failed login answers the same
/// 401 whatever the reason (unknown user, wrong password, locked, disabled), after the same work (an Argon2 check), so
/// that usernames cannot be told apart; the audit trail keeps the real reason.
/// </summary>
internal static partial class LoginEndpoints
{
    /// <summary>Request bodies of these endpoints are a few hundred bytes; anything larger is refused unread.</summary>
    private const long MaxBodyBytes = 16 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string LoginUrl(string returnUrl) => "/login?returnUrl=" + Uri.EscapeDataString(returnUrl);

    public static IServiceCollection AddAccountsAuthentication(this IServiceCollection services, IConfiguration configuration, bool production)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        services.AddSingleton(sp => SigningKeys.FromOptions(sp.GetRequiredService<IOptions<AuthOptions>>().Value, production,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Pacs.Gateway.Auth")));
        services.AddSingleton<SessionValidator>();
        services.AddSingleton<RevocationListener>();
        services.AddHostedService(sp => sp.GetRequiredService<RevocationListener>());
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<LoginPageStrings>();
        services.AddAuthentication(PacsAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, PacsAuthenticationHandler>(PacsAuthenticationHandler.SchemeName, null);
        return services;
    }

    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/login", LoginPage.Render).AllowAnonymous();
        var auth = app.MapGroup("/auth");
        auth.MapPost("/login", LoginAsync).AllowAnonymous();
        auth.MapPost("/token", TokenAsync).AllowAnonymous();
        auth.MapPost("/refresh", RefreshAsync).AllowAnonymous();
        // Anonymous so that an ended session can still clear its cookie; a live one is revoked.
        auth.MapPost("/logout", LogoutAsync).AllowAnonymous();
        auth.MapGet("/me", Me).RequireAuthorization(Policies.Session);
        auth.MapPost("/password", ChangePasswordAsync).RequireAuthorization(Policies.Session);
        auth.MapTotp();
        auth.MapOwnAccount();
        return app;
    }

    internal sealed record Credentials(
        [property: JsonPropertyName("username")] string? Username,
        [property: JsonPropertyName("password")] string? Password,
        [property: JsonPropertyName("totp")] string? Totp,
        [property: JsonPropertyName("returnUrl")] string? ReturnUrl);

    internal sealed record PasswordChange(
        [property: JsonPropertyName("currentPassword")] string? CurrentPassword,
        [property: JsonPropertyName("newPassword")] string? NewPassword,
        [property: JsonPropertyName("returnUrl")] string? ReturnUrl);

    internal sealed record RefreshRequest([property: JsonPropertyName("refresh_token")] string? RefreshToken);

    internal sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("token_type")] string TokenType,
        [property: JsonPropertyName("expires_in")] int ExpiresIn,
        [property: JsonPropertyName("refresh_token")] string RefreshToken,
        [property: JsonPropertyName("must_change_password")] bool MustChangePassword);

    /// <summary>The browser's login: form post from /login (303 back to where the user was) or JSON (204 + cookie).</summary>
    private static async Task<IResult> LoginAsync(HttpContext http, IClusterClient cluster, GrainCalls calls, LoginThrottle throttle, AuditWriter audit, IOptions<AuthOptions> options)
    {
        var isForm = http.Request.HasFormContentType;
        var body = await ReadCredentialsAsync(http).ConfigureAwait(false);
        var returnUrl = SafeReturnUrl(body?.ReturnUrl);
        // Login CSRF: a foreign page must not log the browser into an account of its choosing.
        if (http.Request.Headers.Origin.Count > 0 && !SameOriginCheck.IsSameOrigin(http.Request))
        {
            return Problem(StatusCodes.Status403Forbidden, "Forbidden", "Cross-origin login refused.");
        }

        if (body is null || string.IsNullOrEmpty(body.Username) || string.IsNullOrEmpty(body.Password))
        {
            return isForm ? LoginPage.Redirect(returnUrl, "invalid") : Problem(StatusCodes.Status400BadRequest, "Bad Request", "username and password are required.");
        }

        var attempt = await AttemptAsync(http, cluster, calls, throttle, audit, body, refreshHash: []).ConfigureAwait(false);
        if (attempt.Session is not { } session)
        {
            if (isForm)
            {
                return LoginPage.Redirect(returnUrl, attempt.Error);
            }

            return attempt.Error switch
            {
                "rate" => RateLimited(),
                "totp" => Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "A TOTP code is required.", ("totp_required", true)),
                _ => InvalidCredentials(),
            };
        }

        SetSessionCookie(http, options.Value, session);
        NoStore.Apply(http.Response);
        if (isForm)
        {
            return session.MustChangePassword
                ? Results.Redirect("/login?change=1&returnUrl=" + Uri.EscapeDataString(returnUrl), permanent: false, preserveMethod: false)
                : Results.Redirect(returnUrl);
        }

        return Results.Json(new { username = session.Username, role = session.Role, mustChangePassword = session.MustChangePassword }, Json);
    }

    /// <summary>API clients: a short-lived access token and a refresh token bound to a new session.</summary>
    private static async Task<IResult> TokenAsync(HttpContext http, IClusterClient cluster, GrainCalls calls, LoginThrottle throttle, AuditWriter audit, SigningKeys keys, IOptions<AuthOptions> options)
    {
        var body = await ReadCredentialsAsync(http).ConfigureAwait(false);
        if (body is null || string.IsNullOrEmpty(body.Username) || string.IsNullOrEmpty(body.Password))
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad Request", "A JSON body {\"username\", \"password\"} is required.");
        }

        var refreshSecret = RandomNumberGenerator.GetBytes(32);
        var attempt = await AttemptAsync(http, cluster, calls, throttle, audit, body, SHA256.HashData(refreshSecret)).ConfigureAwait(false);
        if (attempt.Session is not { } session)
        {
            return attempt.Error switch
            {
                "rate" => RateLimited(),
                "totp" => Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "A TOTP code is required.", ("totp_required", true)),
                _ => InvalidCredentials(),
            };
        }

        NoStore.Apply(http.Response);
        return Results.Json(Tokens(session, refreshSecret, keys, options.Value), Json);
    }

    private static async Task<IResult> RefreshAsync(HttpContext http, IClusterClient cluster, SigningKeys keys, IOptions<AuthOptions> options)
    {
        RefreshRequest? body = null;
        if (LimitBody(http))
        {
            try
            {
                body = await http.Request.ReadFromJsonAsync<RefreshRequest>(Json, http.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
            {
            }
        }

        // refresh_token = session id "." secret (both base64url): the session grain holds the secret's SHA-256.
        var parts = body?.RefreshToken?.Split('.');
        if (parts is not { Length: 2 } || parts[0].Length is 0 or > 128 || !Base64Url.TryDecode(parts[1], out var secret) || secret.Length != 32)
        {
            return Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "The refresh token is not valid.");
        }

        var nextSecret = RandomNumberGenerator.GetBytes(32);
        var session = await cluster.GetGrain<ISessionGrain>(parts[0]).RefreshAsync(SHA256.HashData(secret), SHA256.HashData(nextSecret)).ConfigureAwait(false);
        if (session is null)
        {
            return Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "The refresh token is not valid, or its session has ended.");
        }

        NoStore.Apply(http.Response);
        return Results.Json(Tokens(session, nextSecret, keys, options.Value), Json);
    }

    private static async Task<IResult> LogoutAsync(HttpContext http, IClusterClient cluster, GrainCalls calls, SessionValidator sessions, IOptions<AuthOptions> options)
    {
        if (http.User.SessionOf() is { } sessionId)
        {
            // Asked again while a silo is lost (revoking twice is a no-op): a logout during a failover answers once the
            // session grain is active on a survivor, instead of failing until then (RevocationHubFailoverTests).
            var session = cluster.GetGrain<ISessionGrain>(sessionId);
            await calls.RunAsync("logout", async ct =>
            {
                await session.RevokeAsync().WaitAsync(ct).ConfigureAwait(false);
                return true;
            }, http.RequestAborted).ConfigureAwait(false);
            sessions.Revoked([sessionId]);
        }

        http.Response.Cookies.Delete(options.Value.CookieName, CookieOptions(options.Value));
        NoStore.Apply(http.Response);
        return Results.NoContent();
    }

    private static IResult Me(HttpContext http)
    {
        var user = http.User;
        NoStore.Apply(http.Response);
        return Results.Json(new
        {
            username = user.UsernameOf(),
            displayName = user.FindFirst(PacsClaims.DisplayName)?.Value,
            role = user.RoleOf(),
            groups = user.GroupsOf(),
            language = user.FindFirst(PacsClaims.Language)?.Value,
            mustChangePassword = user.HasClaim(c => c.Type == PacsClaims.PasswordChangeRequired),
        }, Json);
    }

    /// <summary>
    /// The user changes their own password. Every session of the account ends (issue 12); a browser gets a new
    /// session cookie at once, an API client logs in again.
    /// </summary>
    private static async Task<IResult> ChangePasswordAsync(HttpContext http, IClusterClient cluster, GrainCalls calls, SessionValidator sessions, IOptions<AuthOptions> options)
    {
        var isForm = http.Request.HasFormContentType;
        PasswordChange? body = null;
        if (LimitBody(http))
        {
            try
            {
                if (isForm)
                {
                    var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
                    body = new PasswordChange(form["currentPassword"], form["newPassword"], form["returnUrl"]);
                }
                else
                {
                    body = await http.Request.ReadFromJsonAsync<PasswordChange>(Json, http.RequestAborted).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException or InvalidDataException)
            {
            }
        }

        var returnUrl = SafeReturnUrl(body?.ReturnUrl);
        if (body is null || string.IsNullOrEmpty(body.CurrentPassword) || string.IsNullOrEmpty(body.NewPassword))
        {
            return isForm ? LoginPage.Redirect(returnUrl, "weak", change: true) : Problem(StatusCodes.Status400BadRequest, "Bad Request", "currentPassword and newPassword are required.");
        }

        var username = http.User.UsernameOf()!;
        var result = await cluster.GetGrain<IUserGrain>(username).ChangePasswordAsync(body.CurrentPassword, body.NewPassword).ConfigureAwait(false);
        if (http.User.SessionOf() is { } oldSession)
        {
            sessions.Forget(oldSession);
        }

        if (!result.Succeeded)
        {
            return isForm
                ? LoginPage.Redirect(returnUrl, result.Error == AccountError.WrongPassword ? "current" : "weak", change: true)
                : Problem(result.Error == AccountError.WrongPassword ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest,
                    "Password not changed", result.Detail);
        }

        if (http.User.FindFirst(PacsClaims.Method)?.Value == "cookie")
        {
            var session = await StartSessionAsync(http, cluster, calls, username, []).ConfigureAwait(false);
            if (session is not null)
            {
                SetSessionCookie(http, options.Value, session);
            }
        }

        return isForm ? Results.Redirect(returnUrl) : Results.NoContent();
    }

    private readonly record struct Attempt(SessionView? Session, string Error);

    private static async Task<Attempt> AttemptAsync(HttpContext http, IClusterClient cluster, GrainCalls calls, LoginThrottle throttle, AuditWriter audit, Credentials body, byte[] refreshHash)
    {
        var key = IUserGrain.LoginKeyFor(body.Username!);
        if (!throttle.TryAcquire(ClientAddress(http), key))
        {
            audit.Record(LoginRecord(http, key, "login.failed", "failure", "rate-limited"));
            return new Attempt(null, "rate");
        }

        // Asked again while a silo's failure is resolved (GrainCalls): an attempt whose answer was lost with the silo
        // may count as a second failed attempt, which is the safe side for a lockout.
        var user = cluster.GetGrain<IUserGrain>(key);
        var result = await calls.RunAsync("login", ct => user.LoginAsync(body.Password!, body.Totp).WaitAsync(ct), http.RequestAborted).ConfigureAwait(false);
        if (result.Outcome == LoginOutcome.TotpRequired)
        {
            audit.Record(LoginRecord(http, key, "login.failed", "failure", "totp-required"));
            return new Attempt(null, "totp");
        }

        if (result.Outcome != LoginOutcome.Succeeded)
        {
            throttle.CountFailure(key);
            // The real reason stays here, never in the answer (no user enumeration); the attempt that locks is a lockout.
            audit.Record(LoginRecord(http, key, result.Outcome == LoginOutcome.LockedNow ? "lockout" : "login.failed", "failure", result.Outcome.ToString()));
            return new Attempt(null, "invalid");
        }

        var session = await StartSessionAsync(http, cluster, calls, key, refreshHash).ConfigureAwait(false);
        audit.Record(session is null
            ? LoginRecord(http, key, "login.failed", "error", "no session")
            : LoginRecord(http, key, "login", "success", http.Request.Path.Value ?? "") with { Role = session.Role, SessionId = session.SessionId });
        if (session is not null && http.Response is { } response)
        {
            // The login page's language next time, before anyone has logged in (issue 12: language from the account).
            response.Cookies.Append(LoginPage.LanguageCookie, session.Language, new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, Secure = true, MaxAge = TimeSpan.FromDays(365) });
        }

        return new Attempt(session, session is null ? "invalid" : "");
    }

    /// <summary>A login attempt's audit record: the actor is the username tried (it may not exist), with the reason.</summary>
    private static Pacs.Index.Audit.AuditRecord LoginRecord(HttpContext http, string username, string action, string outcome, string reason) => new()
    {
        Actor = username.Length <= 256 ? username : username[..256],
        ClientAddress = ClientAddress(http),
        Action = action,
        Outcome = outcome,
        Detail = new Dictionary<string, string>(StringComparer.Ordinal) { ["reason"] = reason, ["userAgent"] = Clip(http.Request.Headers.UserAgent.ToString()) },
    };

    private static string Clip(string s) => s.Length <= 256 ? s : s[..256];

    private static Task<SessionView?> StartSessionAsync(HttpContext http, IClusterClient cluster, GrainCalls calls, string username, byte[] refreshHash)
    {
        var start = new SessionStart
        {
            Username = username,
            ClientAddress = ClientAddress(http),
            UserAgent = http.Request.Headers.UserAgent.ToString(),
            RefreshTokenHash = refreshHash,
        };
        // A new session id per attempt: a session whose start was lost with a silo is never handed out and expires.
        return calls.RunAsync("session start",
            ct => cluster.GetGrain<ISessionGrain>(Base64Url.Encode(RandomNumberGenerator.GetBytes(32))).StartAsync(start).WaitAsync(ct),
            http.RequestAborted);
    }

    private static TokenResponse Tokens(SessionView session, byte[] refreshSecret, SigningKeys keys, AuthOptions options)
    {
        var now = DateTimeOffset.UtcNow;
        var expires = now + options.AccessTokenLifetime;
        if (expires > session.ExpiresAt)
        {
            expires = session.ExpiresAt;
        }

        var token = AccessToken.Create(new AccessTokenClaims(session.Username, session.Role, session.SessionId, session.Groups, session.Language,
            now.ToUnixTimeSeconds(), expires.ToUnixTimeSeconds()), keys);
        return new TokenResponse(token, "Bearer", (int)(expires - now).TotalSeconds, session.SessionId + "." + Base64Url.Encode(refreshSecret), session.MustChangePassword);
    }

    internal static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? IPAddress.None.ToString();

    private static void SetSessionCookie(HttpContext http, AuthOptions options, SessionView session) =>
        http.Response.Cookies.Append(options.CookieName, session.SessionId, CookieOptions(options));

    /// <summary>HttpOnly; Secure; SameSite=Strict (issue 12). No Max-Age: the session grain decides when it ends.</summary>
    internal static CookieOptions CookieOptions(AuthOptions options) => new() { HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, Path = "/" };

    private static async Task<Credentials?> ReadCredentialsAsync(HttpContext http)
    {
        if (!LimitBody(http))
        {
            return null;
        }

        try
        {
            if (http.Request.HasFormContentType)
            {
                var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
                return new Credentials(form["username"], form["password"], form["totp"], form["returnUrl"]);
            }

            return await http.Request.ReadFromJsonAsync<Credentials>(Json, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException or InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Caps the body (a chunked one too) at <see cref="MaxBodyBytes"/>; false when the declared length is already over.</summary>
    private static bool LimitBody(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return false;
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        return true;
    }

    /// <summary>Only a path of this site: never "//host" or "http://…" (an open redirect would make the login page a phishing tool).</summary>
    internal static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 and < 2048 } && returnUrl[0] == '/' && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) && !returnUrl.Any(char.IsControl)
            ? returnUrl
            : "/";

    private static IResult InvalidCredentials() =>
        Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "Invalid username or password.");

    private static IResult RateLimited() =>
        Problem(StatusCodes.Status429TooManyRequests, "Too Many Requests", "Too many login attempts; wait a minute.");

    private static IResult Problem(int status, string title, string detail, (string Key, object Value)? extension = null) =>
        Results.Problem(title: title, detail: detail, statusCode: status,
            extensions: extension is { } e ? new Dictionary<string, object?> { [e.Key] = e.Value } : null);
}
