using Orleans.Concurrency;

namespace Pacs.Grains.Accounts;

/// <summary>
/// A gateway's listener for revoked sessions (an Orleans grain observer the gateway creates with
/// IClusterClient.CreateObjectReference and subscribes to <see cref="IRevocationHub"/>): on the call it drops the
/// sessions from its session cache at once, instead of trusting its last answer until the cache time runs out.
/// </summary>
[Alias("pacs.ISessionRevocationObserver")]
public interface ISessionRevocationObserver : IGrainObserver
{
    /// <summary>
    /// These sessions ended (logout, log out everywhere, disabled account, password change or reset, role or group
    /// change, a reused refresh token). One-way: the hub does not wait for gateways, and a gateway that misses it still
    /// refuses the session when its cache entry expires.
    /// </summary>
    [OneWay]
    [Alias("SessionsRevoked")]
    Task SessionsRevokedAsync(IReadOnlyList<string> sessionIds);
}
