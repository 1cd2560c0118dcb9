using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Cluster;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>
/// Asks the session grain whether a session is live, and trusts the answer for <see cref="AuthOptions.SessionCacheDuration"/>
/// (1 s): a revocation made through any gateway is seen here within that time, and a busy viewer costs one grain call
/// per second and session rather than one per frame. Logout through this gateway forgets the entry at once.
/// <para>
/// Riding through a silo's failure (issue 18): the check goes through <see cref="GrainCalls"/>, so a call lost with a
/// silo is asked again instead of waiting for the response timeout. While the session grain cannot be reached, the
/// last answer it gave is used for at most <see cref="AuthOptions.SessionStaleAllowance"/>, so that radiologists
/// reading during a failover are not sent back to the login page; a session never checked here, or checked too long
/// ago, is refused with 503 (<see cref="SessionCheckUnavailableException"/>), never silently admitted.
/// </para>
/// </summary>
internal sealed class SessionValidator(IClusterClient cluster, GrainCalls calls, IOptions<AuthOptions> options)
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    private sealed record Checked(SessionView? View, DateTime CheckedUtc);

    public async ValueTask<SessionView?> ValidateAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var now = DateTime.UtcNow;
        _cache.TryGetValue(sessionId, out Checked? known);
        if (known is not null && now - known.CheckedUtc < settings.SessionCacheDuration)
        {
            return known.View;
        }

        // With a live answer to fall back on, wait only briefly; without one, as long as any other grain call would.
        var fallback = known is { View: not null } && now - known.CheckedUtc < settings.SessionStaleAllowance ? known : null;
        var grain = cluster.GetGrain<ISessionGrain>(sessionId);
        SessionView? view;
        try
        {
            view = fallback is null
                ? await calls.RunAsync("session check", ct => grain.ValidateAsync().WaitAsync(ct), cancellationToken).ConfigureAwait(false)
                : await calls.RunAsync("session check", ct => grain.ValidateAsync().WaitAsync(ct), settings.SessionCheckBudget, cancellationToken).ConfigureAwait(false);
        }
        // Anything but an answer (the silo is lost or hung, the grain's activation could not read PostgreSQL, ...) is
        // "cannot check now": the last live answer, or 503. The check is a read, so nothing is lost by not having it.
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (fallback is not null)
            {
                return fallback.View;
            }

            throw new SessionCheckUnavailableException(ex);
        }

        // Kept past the trust time as the fallback above; a refused session is not worth keeping.
        _cache.Set(sessionId, new Checked(view, DateTime.UtcNow), new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = view is null ? settings.SessionCacheDuration : settings.SessionStaleAllowance,
            Size = 1,
        });
        return view;
    }

    public void Forget(string sessionId) => _cache.Remove(sessionId);
}

/// <summary>The session grain could not be asked (the cluster is failing over) and no recent answer is known.</summary>
internal sealed class SessionCheckUnavailableException(Exception inner) : Exception("The session could not be checked.", inner);
