namespace Pacs.Grains.Accounts;

/// <summary>
/// One login (key: the session id, 256 random bits, base64url). Holds who it is for, role and groups as of the login,
/// last activity, idle timeout and absolute expiry, and whether it was revoked. Gateways ask it (through a short cache)
/// on requests, so that a revocation reaches every gateway within the cache's lifetime.
/// </summary>
[Alias("pacs.ISessionGrain")]
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Opens the session for an account that has just logged in; null when the account cannot have one.</summary>
    [Alias("Start")]
    Task<SessionView?> StartAsync(SessionStart start);

    /// <summary>The session when live (and marks activity), else null: unknown, revoked, idle too long or past expiry.</summary>
    [Alias("Validate")]
    Task<SessionView?> ValidateAsync();

    /// <summary>
    /// Swaps the refresh token: when <paramref name="presentedHash"/> is the current one, <paramref name="nextHash"/>
    /// replaces it and the session comes back; otherwise null. A refresh token is good for one use.
    /// </summary>
    [Alias("Refresh")]
    Task<SessionView?> RefreshAsync(byte[] presentedHash, byte[] nextHash);

    [Alias("Revoke")]
    Task RevokeAsync();
}
