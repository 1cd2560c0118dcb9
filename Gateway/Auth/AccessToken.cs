using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pacs.Gateway.Auth;

/// <summary>The claims of our access tokens (RFC 7519): sub, role, sid, groups, lang, iat, exp.</summary>
internal sealed record AccessTokenClaims(
    [property: JsonPropertyName("sub")] string Subject,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("sid")] string SessionId,
    [property: JsonPropertyName("groups")] IReadOnlyList<string> Groups,
    [property: JsonPropertyName("lang")] string Language,
    [property: JsonPropertyName("iat")] long IssuedAt,
    [property: JsonPropertyName("exp")] long Expires);

/// <summary>
/// Compact JWS with HS256 (RFC 7515, RFC 7518 section 3.2), written and checked here rather than through a general
/// JWT library so that exactly one algorithm is ever accepted: "alg" must be "HS256" (never "none", never an
/// asymmetric algorithm a key could be confused with), the key is chosen by "kid" among our own, and the signature
/// is compared in constant time before the payload is read.
/// </summary>
internal static class AccessToken
{
    /// <summary>Tokens longer than this are refused unread (a header is not a place for megabytes).</summary>
    public const int MaxLength = 8192;

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = false };

    public static string Create(AccessTokenClaims claims, SigningKeys keys)
    {
        var header = Base64Url.Encode(JsonSerializer.SerializeToUtf8Bytes(new Header("HS256", "JWT", keys.SigningKeyId)));
        var payload = Base64Url.Encode(JsonSerializer.SerializeToUtf8Bytes(claims, Json));
        var signingInput = header + "." + payload;
        var signature = HMACSHA256.HashData(keys.SigningKey, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.Encode(signature);
    }

    /// <summary>The claims of a well-signed, unexpired token, or null (and why, for the log).</summary>
    public static AccessTokenClaims? Validate(string token, SigningKeys keys, DateTimeOffset now, out string? failure)
    {
        failure = null;
        if (token.Length > MaxLength)
        {
            failure = "token too long";
            return null;
        }

        var parts = token.Split('.');
        if (parts.Length != 3 || !Base64Url.TryDecode(parts[0], out var headerBytes) || !Base64Url.TryDecode(parts[2], out var signature))
        {
            failure = "not a compact JWS";
            return null;
        }

        Header? header;
        try
        {
            header = JsonSerializer.Deserialize<Header>(headerBytes, Json);
        }
        catch (JsonException)
        {
            failure = "bad header";
            return null;
        }

        // RFC 8725 section 3.1: accept only the algorithm we use.
        if (header is not { Alg: "HS256" } || header.Kid is null || keys.FindVerificationKey(header.Kid) is not { } key)
        {
            failure = "algorithm or key not accepted";
            return null;
        }

        var expected = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(expected, signature))
        {
            failure = "bad signature";
            return null;
        }

        AccessTokenClaims? claims;
        try
        {
            claims = Base64Url.TryDecode(parts[1], out var payload) ? JsonSerializer.Deserialize<AccessTokenClaims>(payload, Json) : null;
        }
        catch (JsonException)
        {
            claims = null;
        }

        if (claims is null || string.IsNullOrEmpty(claims.Subject) || string.IsNullOrEmpty(claims.SessionId))
        {
            failure = "bad claims";
            return null;
        }

        if (now.ToUnixTimeSeconds() >= claims.Expires)
        {
            failure = "expired";
            return null;
        }

        return claims;
    }

    private sealed record Header(
        [property: JsonPropertyName("alg")] string? Alg,
        [property: JsonPropertyName("typ")] string? Typ,
        [property: JsonPropertyName("kid")] string? Kid);
}
