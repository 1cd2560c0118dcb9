using Microsoft.Extensions.Options;
using Pacs.Gateway.Cluster;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>
/// Hears revoked sessions pushed by the revocation hub (<see cref="IRevocationHub"/>) and drops them from this
/// gateway's <see cref="SessionValidator"/> at once, so that a logout through another gateway is refused here in
/// milliseconds rather than at the end of the session cache time.
/// <para>
/// An Orleans client observer lives as long as the hub holds its reference: the hub keeps subscribers in memory for a
/// lease, so the subscription is renewed every <see cref="AuthOptions.RevocationRenewInterval"/>, and at once when
/// this gateway loses a silo connection (<see cref="SiloLossSignal"/>: the hub may have lived on that silo and be
/// activated again elsewhere with no subscriber). A gap in the subscription costs only speed: the cache time still
/// bounds how late a revocation is seen.
/// </para>
/// </summary>
internal sealed partial class RevocationListener(
    IClusterClient cluster, SessionValidator sessions, SiloLossSignal siloLoss, IOptions<AuthOptions> options, ILogger<RevocationListener> logger)
    : BackgroundService, ISessionRevocationObserver
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    // The reference the hub calls; Orleans keeps only a weak reference to this object, so the listener (a singleton)
    // is what keeps it alive.
    private ISessionRevocationObserver? _reference;

    public Task SessionsRevokedAsync(IReadOnlyList<string> sessionIds)
    {
        sessions.Revoked(sessionIds);
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.RevocationRenewInterval;
        if (interval <= TimeSpan.Zero)
        {
            LogPushOff(logger);
            return;
        }

        _reference = cluster.CreateObjectReference<ISessionRevocationObserver>(this);
        var hub = cluster.GetGrain<IRevocationHub>(IRevocationHub.Key);
        var failing = false;
        var subscribed = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before the call: a silo lost from now on may have taken the hub, and with it this subscription.
            var lost = siloLoss.Token;
            var pause = interval;
            try
            {
                await hub.SubscribeAsync(_reference, interval * 3).WaitAsync(CallTimeout, stoppingToken).ConfigureAwait(false);
                if (!subscribed)
                {
                    LogSubscribed(logger, interval.TotalSeconds);
                    subscribed = true;
                    failing = false;
                }
                else if (failing)
                {
                    LogSubscribedAgain(logger);
                    failing = false;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Starting up before any silo answers, or a silo failing: try again soon, the cache covers the gap.
                if (!failing)
                {
                    LogSubscribeFailed(logger, e.GetType().Name);
                    failing = true;
                }

                pause = RetryPause;
            }

            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lost);
            try
            {
                await Task.Delay(pause, wake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // A silo connection was lost: subscribe again now (the hub may be activated anew on a survivor).
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_reference is { } reference)
        {
            try
            {
                // Polite, not needed: the hub drops a subscriber whose lease ran out.
                await cluster.GetGrain<IRevocationHub>(IRevocationHub.Key).UnsubscribeAsync(reference).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogUnsubscribeFailed(logger, e.GetType().Name);
            }

            try
            {
                // The reference, not this object (Orleans refuses an object that is not a grain reference).
                cluster.DeleteObjectReference<ISessionRevocationObserver>(reference);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogUnsubscribeFailed(logger, e.GetType().Name);
            }
        }
    }

    [LoggerMessage(EventId = 2230, Level = LogLevel.Information, Message = "Revocation push off (Pacs:Auth:RevocationRenewInterval is zero): sessions are re-checked after the cache time only")]
    private static partial void LogPushOff(ILogger logger);

    [LoggerMessage(EventId = 2231, Level = LogLevel.Warning, Message = "Could not subscribe to session revocations ({Reason}); trying again every second, the session cache time bounds revocation meanwhile")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 2234, Level = LogLevel.Information, Message = "Subscribed to session revocations (renewed every {Seconds} s)")]
    private static partial void LogSubscribed(ILogger logger, double seconds);

    [LoggerMessage(EventId = 2232, Level = LogLevel.Information, Message = "Subscribed to session revocations again")]
    private static partial void LogSubscribedAgain(ILogger logger);

    [LoggerMessage(EventId = 2233, Level = LogLevel.Debug, Message = "Could not unsubscribe from session revocations at shutdown ({Reason})")]
    private static partial void LogUnsubscribeFailed(ILogger logger, string reason);
}
