using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Pacs.Gateway.Auth;

/// <summary>
/// The HS256 keys of this gateway: one that signs, several that verify (rotation: a new key signs, the old one keeps
/// verifying until its tokens have expired). Each key is known by a key id (kid), the first bytes of its SHA-256.
/// </summary>
public sealed class SigningKeys
{
    public const int MinimumKeyBytes = 32;

    private readonly Dictionary<string, byte[]> _verification = new(StringComparer.Ordinal);

    public SigningKeys(byte[] signingKey, IEnumerable<byte[]> verificationKeys)
    {
        SigningKey = signingKey;
        SigningKeyId = KeyId(signingKey);
        _verification[SigningKeyId] = signingKey;
        foreach (var key in verificationKeys)
        {
            _verification.TryAdd(KeyId(key), key);
        }
    }

    public byte[] SigningKey { get; }

    public string SigningKeyId { get; }

    /// <summary>True when the key was made up at start-up because none was configured (not production).</summary>
    public bool Ephemeral { get; private init; }

    public byte[]? FindVerificationKey(string keyId) => _verification.GetValueOrDefault(keyId);

    public static string KeyId(byte[] key) => Base64Url.Encode(SHA256.HashData(key).AsSpan(0, 9));

    /// <summary>
    /// The keys of the configuration. Production refuses to start without a signing key (a made-up one would not be
    /// shared by the other gateways, and would change with every restart); elsewhere a random key is made up and logged.
    /// </summary>
    public static SigningKeys FromOptions(AuthOptions options, bool production, ILogger logger)
    {
        if (string.IsNullOrWhiteSpace(options.SigningKey))
        {
            if (production)
            {
                throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions),
                    ["Pacs:Auth:SigningKey is required in production (base64 of at least 32 random bytes, from a secret)."]);
            }

            AuthLog.EphemeralKey(logger);
            return new SigningKeys(RandomNumberGenerator.GetBytes(MinimumKeyBytes), []) { Ephemeral = true };
        }

        return new SigningKeys(Parse(options.SigningKey, "SigningKey"), options.VerificationKeys.Select(k => Parse(k, "VerificationKeys")).ToList());
    }

    private static byte[] Parse(string text, string name)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions), [$"Pacs:Auth:{name} is not base64."]);
        }

        // A short key, or one of one repeated byte (a placeholder such as all zeros), is a default, not a secret.
        if (key.Length < MinimumKeyBytes || key.All(b => b == key[0]))
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions),
                [$"Pacs:Auth:{name} must be at least {MinimumKeyBytes} random bytes (base64)."]);
        }

        return key;
    }
}

/// <summary>Base64url without padding (RFC 4648 section 5), as JWTs use it (RFC 7515 section 2).</summary>
internal static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public static bool TryDecode(string text, out byte[] bytes)
    {
        try
        {
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
