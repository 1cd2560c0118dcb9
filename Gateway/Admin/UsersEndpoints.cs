using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Ingest;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Admin;

/// <summary>
/// /api/users (admins): create, list and search (the account directory), read, update role/groups/language/enabled,
/// reset a password (the user must change it at next login), revoke every session of an account, remove an account's
/// TOTP second factor (refused for admins while Pacs:Accounts:RequireTotpForAdmins holds: 409).
/// </summary>
internal static class UsersEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").RequireAuthorization(Policies.Admin);
        users.MapGet("/", ListAsync);
        users.MapPost("/", CreateAsync);
        users.MapGet("/{username}", GetAsync);
        users.MapPatch("/{username}", UpdateAsync);
        users.MapPost("/{username}/password", ResetPasswordAsync);
        users.MapPost("/{username}/revoke-sessions", RevokeSessionsAsync);
        users.MapDelete("/{username}/totp", RemoveTotpAsync);
        return app;
    }

    internal sealed record CreateBody(
        [property: JsonPropertyName("username")] string? Username,
        [property: JsonPropertyName("role")] string? Role,
        [property: JsonPropertyName("password")] string? Password,
        [property: JsonPropertyName("displayName")] string? DisplayName,
        [property: JsonPropertyName("email")] string? Email,
        [property: JsonPropertyName("language")] string? Language,
        [property: JsonPropertyName("groups")] string[]? Groups,
        [property: JsonPropertyName("mustChangePassword")] bool? MustChangePassword);

    internal sealed record UpdateBody(
        [property: JsonPropertyName("role")] string? Role,
        [property: JsonPropertyName("displayName")] string? DisplayName,
        [property: JsonPropertyName("email")] string? Email,
        [property: JsonPropertyName("language")] string? Language,
        [property: JsonPropertyName("groups")] string[]? Groups,
        [property: JsonPropertyName("enabled")] bool? Enabled);

    internal sealed record PasswordBody([property: JsonPropertyName("password")] string? Password);

    private static async Task<IResult> ListAsync(HttpRequest request, IClusterClient cluster)
    {
        var offset = int.TryParse(request.Query["offset"], out var o) ? o : 0;
        var limit = int.TryParse(request.Query["limit"], out var l) ? l : 100;
        if (offset < 0 || limit is < 1 or > 500)
        {
            return Problem(StatusCodes.Status400BadRequest, "offset must be 0 or more and limit 1 to 500.");
        }

        var page = await cluster.GetGrain<IAccountDirectoryGrain>(0).ListAsync(request.Query["search"], offset, limit).ConfigureAwait(false);
        return Results.Json(new { total = page.Total, offset, limit, items = page.Accounts }, Json);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IClusterClient cluster, IOptions<AccessGroupOptions> accessGroups)
    {
        var body = await ReadAsync<CreateBody>(request).ConfigureAwait(false);
        if (body is null || string.IsNullOrWhiteSpace(body.Username) || string.IsNullOrWhiteSpace(body.Role))
        {
            return Problem(StatusCodes.Status400BadRequest, "A JSON body with username, role and password is required.");
        }

        var username = IUserGrain.KeyFor(body.Username);
        // No password given: a generated one, returned once in this answer, to be changed at first login.
        var password = string.IsNullOrEmpty(body.Password) ? PasswordPolicy.Generate() : body.Password;
        var result = await cluster.GetGrain<IUserGrain>(username).CreateAsync(new NewAccount
        {
            Role = body.Role,
            Password = password,
            DisplayName = body.DisplayName ?? "",
            Email = body.Email ?? "",
            Language = body.Language ?? Languages.Default,
            // No groups given: the group of studies no ingest rule claims, which is every study of a single site.
            Groups = body.Groups ?? [accessGroups.Value.Default],
            MustChangePassword = body.MustChangePassword ?? true,
        }).ConfigureAwait(false);
        // The path does not name the new account: the audit record does (the Audit tab of /admin shows it).
        request.HttpContext.Items[Audit.AuditMiddleware.DetailItem] = new Dictionary<string, string>(StringComparer.Ordinal) { ["username"] = username };
        if (!result.Succeeded)
        {
            return Failure(result);
        }

        return Results.Json(new { account = result.Account, generatedPassword = string.IsNullOrEmpty(body.Password) ? password : null }, Json,
            statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetAsync(string username, IClusterClient cluster)
    {
        var key = IUserGrain.KeyFor(username);
        var account = IUserGrain.IsValidUsername(key) ? await cluster.GetGrain<IUserGrain>(key).GetAsync().ConfigureAwait(false) : null;
        return account is null ? Problem(StatusCodes.Status404NotFound, $"No account '{username}'.") : Results.Json(account, Json);
    }

    private static async Task<IResult> UpdateAsync(string username, HttpRequest request, IClusterClient cluster, SessionValidator sessions)
    {
        var body = await ReadAsync<UpdateBody>(request).ConfigureAwait(false);
        if (body is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "A JSON body is required.");
        }

        var key = IUserGrain.KeyFor(username);
        if (!IUserGrain.IsValidUsername(key))
        {
            return Problem(StatusCodes.Status404NotFound, $"No account '{username}'.");
        }

        var result = await cluster.GetGrain<IUserGrain>(key).UpdateAsync(new AccountUpdate
        {
            Role = body.Role,
            DisplayName = body.DisplayName,
            Email = body.Email,
            Language = body.Language,
            Groups = body.Groups,
            Enabled = body.Enabled,
        }).ConfigureAwait(false);
        return result.Succeeded ? Results.Json(result.Account, Json) : Failure(result);
    }

    private static async Task<IResult> ResetPasswordAsync(string username, HttpRequest request, IClusterClient cluster)
    {
        var body = await ReadAsync<PasswordBody>(request).ConfigureAwait(false);
        var key = IUserGrain.KeyFor(username);
        if (!IUserGrain.IsValidUsername(key))
        {
            return Problem(StatusCodes.Status404NotFound, $"No account '{username}'.");
        }

        var password = string.IsNullOrEmpty(body?.Password) ? PasswordPolicy.Generate() : body.Password;
        var result = await cluster.GetGrain<IUserGrain>(key).ResetPasswordAsync(password).ConfigureAwait(false);
        return result.Succeeded
            ? Results.Json(new { account = result.Account, generatedPassword = string.IsNullOrEmpty(body?.Password) ? password : null }, Json)
            : Failure(result);
    }

    private static async Task<IResult> RevokeSessionsAsync(string username, IClusterClient cluster)
    {
        var key = IUserGrain.KeyFor(username);
        if (!IUserGrain.IsValidUsername(key) || await cluster.GetGrain<IUserGrain>(key).GetAsync().ConfigureAwait(false) is null)
        {
            return Problem(StatusCodes.Status404NotFound, $"No account '{username}'.");
        }

        var revoked = await cluster.GetGrain<IUserGrain>(key).RevokeSessionsAsync().ConfigureAwait(false);
        return Results.Json(new { revoked }, Json);
    }

    private static async Task<IResult> RemoveTotpAsync(string username, IClusterClient cluster)
    {
        var key = IUserGrain.KeyFor(username);
        if (!IUserGrain.IsValidUsername(key))
        {
            return Problem(StatusCodes.Status404NotFound, $"No account '{username}'.");
        }

        var result = await cluster.GetGrain<IUserGrain>(key).ResetTotpAsync().ConfigureAwait(false);
        return result.Succeeded ? Results.Json(result.Account, Json) : Failure(result);
    }

    private static async Task<T?> ReadAsync<T>(HttpRequest request)
        where T : class
    {
        if (request.ContentLength > 64 * 1024)
        {
            return null;
        }

        try
        {
            return await request.ReadFromJsonAsync<T>(Json, request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return null;
        }
    }

    private static IResult Failure(AccountResult result) => result.Error switch
    {
        AccountError.NotFound => Problem(StatusCodes.Status404NotFound, result.Detail),
        AccountError.AlreadyExists or AccountError.Refused => Problem(StatusCodes.Status409Conflict, result.Detail),
        _ => Problem(StatusCodes.Status400BadRequest, result.Detail),
    };

    private static IResult Problem(int status, string detail) =>
        Results.Problem(title: status switch { 404 => "Not Found", 409 => "Conflict", _ => "Bad Request" }, detail: detail, statusCode: status);
}
