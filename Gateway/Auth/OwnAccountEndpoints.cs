using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>
/// What a user changes of their own account (the /account page): <c>PATCH /auth/me {displayName, language}</c> and
/// <c>POST /auth/logout-everywhere</c> (every session of the account ends, this one too; the cookie is cleared).
/// Password: <c>POST /auth/password</c>; second factor: <see cref="TotpEndpoints"/>. The session's language claim is
/// the one of its login: pages take a changed language from ?lang= until the next login.
/// </summary>
internal static class OwnAccountEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    internal sealed record Change(
        [property: JsonPropertyName("displayName")] string? DisplayName,
        [property: JsonPropertyName("language")] string? Language);

    public static void MapOwnAccount(this RouteGroupBuilder auth)
    {
        auth.MapPatch("/me", UpdateAsync).RequireAuthorization(Policies.Read);
        auth.MapPost("/logout-everywhere", LogoutEverywhereAsync).RequireAuthorization(Policies.Session);
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, IClusterClient cluster)
    {
        Change? body = null;
        if (http.Request.ContentLength is null or <= 16 * 1024)
        {
            try
            {
                body = await http.Request.ReadFromJsonAsync<Change>(Json, http.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
            {
            }
        }

        if (body is null || (body.DisplayName is null && body.Language is null))
        {
            return Results.Problem(title: "Bad Request", detail: "A JSON body with displayName and/or language is required.", statusCode: StatusCodes.Status400BadRequest);
        }

        var result = await cluster.GetGrain<IUserGrain>(http.User.UsernameOf()!)
            .UpdateAsync(new AccountUpdate { DisplayName = body.DisplayName, Language = body.Language }).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return Results.Problem(title: "Bad Request", detail: result.Detail, statusCode: StatusCodes.Status400BadRequest);
        }

        // The login page and the pages without an account claim follow the new choice at once.
        http.Response.Cookies.Append(LoginPage.LanguageCookie, result.Account!.Language,
            new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, Secure = true, MaxAge = TimeSpan.FromDays(365) });
        NoStore.Apply(http.Response);
        return Results.Json(result.Account, Json);
    }

    private static async Task<IResult> LogoutEverywhereAsync(HttpContext http, IClusterClient cluster, SessionValidator sessions, IOptions<AuthOptions> options)
    {
        var revoked = await cluster.GetGrain<IUserGrain>(http.User.UsernameOf()!).RevokeSessionsAsync().ConfigureAwait(false);
        if (http.User.SessionOf() is { } sessionId)
        {
            // The hub pushes every revoked id to every gateway; this one's own session is refused here without waiting.
            sessions.Revoked([sessionId]);
        }

        http.Response.Cookies.Delete(options.Value.CookieName, LoginEndpoints.CookieOptions(options.Value));
        NoStore.Apply(http.Response);
        return Results.Json(new { revoked }, Json);
    }
}
