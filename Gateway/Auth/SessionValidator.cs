using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Cluster;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>
/// Asks the session grain whether a session is live, and trusts the answer for <see cref="AuthOptions.SessionCacheDuration"/>
/// (1 s): a busy viewer costs one grain call per second and session rather than one per frame. A revocation made
/// through any gateway is pushed here at once (<see cref="RevocationListener"/> hears it from the revocation hub and
/// calls <see cref="Revoked"/>); the cache time is the bound for when the push is missed (a lapsed subscription, the
/// hub's silo lost), so correctness never depends on the push.
/// <para>
/// A pushed revocation is kept as a tombstone for <see cref="TombstoneLifetime"/>: the session is refused from then on
/// without asking its grain, and a check that was already on its way to the grain when the push came (and may bring
/// back the session's last live answer) cannot put it back into the cache.
/// </para>
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

    // Sessions pushed as revoked. Session ids are never reused, so a tombstone only has to outlive any answer about
    // the session that could still arrive or be used here (a check in flight, the stale allowance below).
    private readonly MemoryCache _revoked = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    private TimeSpan TombstoneLifetime
    {
        get
        {
            var settings = options.Value;
            var longest = settings.SessionStaleAllowance > settings.SessionCacheDuration ? settings.SessionStaleAllowance : settings.SessionCacheDuration;
            return longest + TimeSpan.FromMinutes(1);
        }
    }

    private sealed record Checked(SessionView? View, DateTime CheckedUtc);

    public async ValueTask<SessionView?> ValidateAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        if (_revoked.TryGetValue(sessionId, out _))
        {
            return null;
        }

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
        // Checked after the entry is written (Revoked writes the tombstone before it removes the entry): a push that
        // came while the grain was being asked wins either way.
        if (view is not null && _revoked.TryGetValue(sessionId, out _))
        {
            _cache.Remove(sessionId);
            return null;
        }

        return view;
    }

    /// <summary>Forgets what is known of the session, so that the next request asks its grain (e.g. after a password change attempt).</summary>
    public void Forget(string sessionId) => _cache.Remove(sessionId);

    /// <summary>These sessions ended (pushed by the revocation hub, or revoked through this gateway): refused from now on.</summary>
    public void Revoked(IEnumerable<string> sessionIds)
    {
        var lifetime = TombstoneLifetime;
        foreach (var sessionId in sessionIds)
        {
            _revoked.Set(sessionId, true, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = lifetime, Size = 1 });
            _cache.Remove(sessionId);
        }
    }
}

/// <summary>The session grain could not be asked (the cluster is failing over) and no recent answer is known.</summary>
internal sealed class SessionCheckUnavailableException(Exception inner) : Exception("The session could not be checked.", inner);
