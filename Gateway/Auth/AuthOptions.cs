namespace Pacs.Gateway.Auth;

/// <summary>
/// Section "Pacs:Auth": token signing keys and session settings. Keys come from configuration (./pacs up writes one to
/// DATA/jwt-signing.key, mode 0600, and hands it over in the environment; Kubernetes from a secret), never the repository.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Pacs:Auth";

    /// <summary>The key that signs new access tokens (HS256): base64 of at least 32 random bytes.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Earlier signing keys, still accepted for verification while tokens signed with them live (rotation).</summary>
    public List<string> VerificationKeys { get; set; } = [];

    /// <summary>Lifetime of an access token (issue 12: 15 minutes).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a gateway trusts a session check before asking the session grain again. Revocations are pushed to
    /// every gateway at once (<see cref="RevocationListener"/>); this is the bound on how late one reaches a gateway
    /// that missed the push (issue 12: within 2 s).
    /// </summary>
    public TimeSpan SessionCacheDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a gateway renews its subscription to the revocation hub (the lease it asks for is three times this):
    /// the longest a gateway can go without pushes after the hub lost its subscribers (its silo failed) and this
    /// gateway did not notice the loss of a silo connection. Zero turns the push off (only the cache time bounds it).
    /// </summary>
    public TimeSpan RevocationRenewInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// While the session grain cannot be reached (a silo failing over), how long the last live answer is still used
    /// (issue 18). Longer keeps readers reading through a longer outage; shorter bounds how late a revocation made
    /// during such an outage takes effect here.
    /// </summary>
    public TimeSpan SessionStaleAllowance { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a session check waits for the grain before using the last live answer (when there is one).</summary>
    public TimeSpan SessionCheckBudget { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Name of the browser's session cookie.</summary>
    public string CookieName { get; set; } = "pacs_session";

    /// <summary>Login attempts one client address may make per minute (all usernames together).</summary>
    public int LoginAttemptsPerAddressPerMinute { get; set; } = 30;

    /// <summary>Login attempts one username may receive per minute (all addresses together).</summary>
    public int LoginAttemptsPerAccountPerMinute { get; set; } = 10;
}
