using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Pacs.Gateway.Auth;

/// <summary>
/// Login rate limits, fixed one-minute windows checked before a password is hashed: every attempt per client address,
/// and failed attempts per account name. The account limit applies to every name tried, known or not, so it tells
/// nothing about which exist; successful logins do not use it up (scripts that log in often are not locked out).
/// </summary>
internal sealed class LoginThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _byAddress;
    private readonly PartitionedRateLimiter<string> _byAccount;

    public LoginThrottle(IOptions<AuthOptions> options)
    {
        _byAddress = Limiter(options.Value.LoginAttemptsPerAddressPerMinute);
        _byAccount = Limiter(options.Value.LoginAttemptsPerAccountPerMinute);
    }

    /// <summary>True when one more attempt from this address for this account is allowed now.</summary>
    public bool TryAcquire(string address, string account)
    {
        using var byAddress = _byAddress.AttemptAcquire(address);
        return byAddress.IsAcquired && _byAccount.GetStatistics(account) is not { CurrentAvailablePermits: <= 0 };
    }

    /// <summary>Counts a failed attempt against the account name.</summary>
    public void CountFailure(string account)
    {
        using var lease = _byAccount.AttemptAcquire(account);
    }

    private static PartitionedRateLimiter<string> Limiter(int permits) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    public void Dispose()
    {
        _byAddress.Dispose();
        _byAccount.Dispose();
    }
}
