using System.Text.Json;
using System.Text.Json.Serialization;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>
/// TOTP enrolment (RFC 6238) of the logged-in account: <c>POST /auth/totp/enrol {password}</c> answers the new secret
/// once, as an otpauth URI (Google Authenticator's Key Uri Format, which the authenticator apps read from a QR code) and
/// as base32; <c>POST /auth/totp/confirm {code}</c> with the app's current code turns it on, after which every login
/// needs a code. Enrolling again (with the password) replaces the secret only when the new one is confirmed.
/// <c>DELETE /auth/totp {password, code}</c> removes the factor (both must be right; refused for admins while
/// Pacs:Accounts:RequireTotpForAdmins holds); an admin removes another account's with DELETE /api/users/{u}/totp.
/// </summary>
internal static class TotpEndpoints
{
    public const string Issuer = "Clinton PACS";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    internal sealed record EnrolRequest([property: JsonPropertyName("password")] string? Password);

    internal sealed record ConfirmRequest([property: JsonPropertyName("code")] string? Code);

    internal sealed record RemoveRequest([property: JsonPropertyName("password")] string? Password, [property: JsonPropertyName("code")] string? Code);

    public static void MapTotp(this RouteGroupBuilder auth)
    {
        auth.MapPost("/totp/enrol", EnrolAsync).RequireAuthorization(Policies.Read);
        auth.MapPost("/totp/confirm", ConfirmAsync).RequireAuthorization(Policies.Read);
        auth.MapDelete("/totp", RemoveAsync).RequireAuthorization(Policies.Read);
    }

    private static async Task<IResult> RemoveAsync(HttpContext http, IClusterClient cluster)
    {
        var body = await ReadAsync<RemoveRequest>(http).ConfigureAwait(false);
        if (body?.Password is not { Length: > 0 } password || body.Code is not { Length: > 0 and <= 16 } code)
        {
            return Problem(StatusCodes.Status400BadRequest, "password and code are required.");
        }

        var result = await cluster.GetGrain<IUserGrain>(http.User.UsernameOf()!).RemoveTotpAsync(password, code).ConfigureAwait(false);
        NoStore.Apply(http.Response);
        return result.Error switch
        {
            AccountError.None => Results.NoContent(),
            AccountError.WrongPassword => Problem(StatusCodes.Status403Forbidden, result.Detail),
            AccountError.Refused => Problem(StatusCodes.Status409Conflict, result.Detail),
            _ => Problem(StatusCodes.Status400BadRequest, result.Detail),
        };
    }

    private static async Task<IResult> EnrolAsync(HttpContext http, IClusterClient cluster)
    {
        var body = await ReadAsync<EnrolRequest>(http).ConfigureAwait(false);
        if (body?.Password is not { Length: > 0 } password)
        {
            return Problem(StatusCodes.Status400BadRequest, "password is required.");
        }

        var username = http.User.UsernameOf()!;
        var secret = await cluster.GetGrain<IUserGrain>(username).BeginTotpEnrolmentAsync(password).ConfigureAwait(false);
        if (secret is null)
        {
            return Problem(StatusCodes.Status403Forbidden, "The password is not right.");
        }

        // Key Uri Format: "issuer:account", the colon literal (as most authenticator apps expect), each part escaped.
        var label = Uri.EscapeDataString(Issuer) + ":" + Uri.EscapeDataString(username);
        var uri = $"otpauth://totp/{label}?secret={secret}&issuer={Uri.EscapeDataString(Issuer)}&algorithm=SHA1&digits=6&period=30";
        return Results.Json(new { otpauthUri = uri, secret, expiresInSeconds = IUserGrain.TotpEnrolmentMinutes * 60 }, Json);
    }

    private static async Task<IResult> ConfirmAsync(HttpContext http, IClusterClient cluster)
    {
        var body = await ReadAsync<ConfirmRequest>(http).ConfigureAwait(false);
        if (body?.Code is not { Length: > 0 and <= 16 } code)
        {
            return Problem(StatusCodes.Status400BadRequest, "code is required.");
        }

        return await cluster.GetGrain<IUserGrain>(http.User.UsernameOf()!).ConfirmTotpAsync(code).ConfigureAwait(false)
            ? Results.NoContent()
            : Problem(StatusCodes.Status400BadRequest, "The code is not right, or the enrolment expired: enrol again.");
    }

    private static async Task<T?> ReadAsync<T>(HttpContext http) where T : class
    {
        // Small JSON bodies only: a password or a code.
        if (http.Request.ContentLength is > 16 * 1024)
        {
            return null;
        }

        try
        {
            return await http.Request.ReadFromJsonAsync<T>(Json, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return null;
        }
    }

    private static IResult Problem(int status, string detail) =>
        Results.Problem(title: status switch { 403 => "Forbidden", 409 => "Conflict", _ => "Bad Request" }, detail: detail, statusCode: status);
}
