using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>
/// Asks the session grain whether a session is live, and remembers the answer for <see cref="AuthOptions.SessionCacheDuration"/>
/// (1 s): a revocation made through any gateway is seen here within that time, and a busy viewer costs one grain call
/// per second and session rather than one per frame. Logout through this gateway forgets the entry at once.
/// </summary>
internal sealed class SessionValidator(IClusterClient cluster, IOptions<AuthOptions> options)
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    public async ValueTask<SessionView?> ValidateAsync(string sessionId)
    {
        if (_cache.TryGetValue(sessionId, out SessionView? cached))
        {
            return cached;
        }

        var view = await cluster.GetGrain<ISessionGrain>(sessionId).ValidateAsync().ConfigureAwait(false);
        _cache.Set(sessionId, view, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = options.Value.SessionCacheDuration, Size = 1 });
        return view;
    }

    public void Forget(string sessionId) => _cache.Remove(sessionId);
}
