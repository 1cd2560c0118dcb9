using Microsoft.Extensions.Logging;

namespace Pacs.Grains.Accounts;

/// <summary>
/// The revocation hub (<see cref="IRevocationHub"/>): the gateways' observers with their lease ends, in memory.
/// One grain for the cluster is enough: revocations are rare (a logout, an admin's change), each is one call here and
/// one one-way message per gateway; what matters is that every gateway hears of it within milliseconds.
/// </summary>
[GrainType("revocation-hub")]
internal sealed partial class RevocationHubGrain(ILogger<RevocationHubGrain> logger) : Grain, IRevocationHub
{
    /// <summary>The longest lease a gateway may ask for: a gateway that went away without unsubscribing is dropped after it.</summary>
    private static readonly TimeSpan MaximumLease = TimeSpan.FromMinutes(10);

    // Observer references compare by their GrainId (the gateway's client id and the object's id).
    private readonly Dictionary<ISessionRevocationObserver, DateTime> _subscribers = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Which silo holds the hub shows in its log: after that silo is lost the hub starts empty on another one, and
        // the gateways' subscriptions follow (docs/security.md, sessions; RevocationHubFailoverTests).
        LogActivated(logger);
        return Task.CompletedTask;
    }

    public Task SubscribeAsync(ISessionRevocationObserver observer, TimeSpan lease)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var bounded = lease <= TimeSpan.Zero || lease > MaximumLease ? MaximumLease : lease;
        var isNew = !_subscribers.ContainsKey(observer);
        _subscribers[observer] = DateTime.UtcNow + bounded;
        if (isNew)
        {
            LogSubscribed(logger, _subscribers.Count);
        }

        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(ISessionRevocationObserver observer)
    {
        _subscribers.Remove(observer);
        return Task.CompletedTask;
    }

    public Task PublishAsync(IReadOnlyList<string> sessionIds)
    {
        if (sessionIds.Count == 0)
        {
            return Task.CompletedTask;
        }

        var now = DateTime.UtcNow;
        List<ISessionRevocationObserver>? lapsed = null;
        foreach (var (observer, until) in _subscribers)
        {
            if (until < now)
            {
                (lapsed ??= []).Add(observer);
                continue;
            }

            try
            {
                // One-way (ISessionRevocationObserver): sent, not awaited; a gateway that is gone costs nothing here.
                _ = observer.SessionsRevokedAsync(sessionIds);
            }
            catch (Exception e)
            {
                // A reference that cannot even be addressed any more is dropped; the gateway re-subscribes if it lives.
                LogNotifyFailed(logger, e.GetType().Name);
                (lapsed ??= []).Add(observer);
            }
        }

        foreach (var observer in lapsed ?? [])
        {
            _subscribers.Remove(observer);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 2220, Level = LogLevel.Information, Message = "A gateway subscribed to session revocations ({Subscribers} subscribed)")]
    private static partial void LogSubscribed(ILogger logger, int subscribers);

    [LoggerMessage(EventId = 2223, Level = LogLevel.Information, Message = "Revocation hub activated on this silo (no subscriber until the gateways subscribe)")]
    private static partial void LogActivated(ILogger logger);

    [LoggerMessage(EventId = 2221, Level = LogLevel.Warning, Message = "A revocation could not be sent to a subscribed gateway ({Reason}); dropped until it subscribes again")]
    private static partial void LogNotifyFailed(ILogger logger, string reason);
}
