using System.Diagnostics;

namespace Pacs.Gateway.Cluster;

/// <summary>
/// Fires when this gateway loses its connection to a silo: a killed silo's sockets close at once (RST), and a hung
/// one's is closed by the client's gateway list refresh as soon as the membership table declares it dead. A grain call
/// in flight at that moment may never be answered (its request may have gone to that silo, directly or forwarded by
/// another silo, and Orleans keeps no record of which), so <see cref="GrainCalls"/> cancels every call that started
/// before the loss and asks again, instead of waiting for the response timeout.
/// </summary>
/// <remarks>
/// Orleans' own client breaks pending calls only on shutdown: OutsideRuntimeClient.BreakOutstandingMessagesToSilo
/// exists but nothing on the client calls it, and a client message carries no target silo to match anyway.
/// </remarks>
internal sealed partial class SiloLossSignal(ILogger<SiloLossSignal> logger) : IClusterConnectionStatusObserver
{
    private CancellationTokenSource _current = new();
    private long _losses;
    private long _lastLoss = long.MinValue;

    /// <summary>Cancelled at the next loss of a silo connection: take it before a call, then link it to the call.</summary>
    public CancellationToken Token => Volatile.Read(ref _current).Token;

    /// <summary>How many silo connections this gateway has lost since it started.</summary>
    public long Losses => Interlocked.Read(ref _losses);

    /// <summary>
    /// True within <paramref name="window"/> of the last loss: the cluster may still route a call to the lost silo (a
    /// silo that has not yet seen the socket close forwards to it, and that message is lost), so a call started after
    /// the loss can also go unanswered, and nothing but a timeout tells.
    /// </summary>
    public bool LostWithin(TimeSpan window)
    {
        var last = Interlocked.Read(ref _lastLoss);
        return last != long.MinValue && Stopwatch.GetElapsedTime(last) < window;
    }

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways)
        {
            Fire(currentNumberOfGateways);
        }
    }

    public void NotifyClusterConnectionLost() => Fire(0);

    private void Fire(int remaining)
    {
        Interlocked.Increment(ref _losses);
        Interlocked.Exchange(ref _lastLoss, Stopwatch.GetTimestamp());
        var previous = Interlocked.Exchange(ref _current, new CancellationTokenSource());
        LogSiloLost(logger, remaining);
        // Callers hold tokens of the old source: cancel it, never dispose it (a late Register must not throw). The
        // callbacks run on the thread pool, not on the Orleans connection thread that reports the loss.
        _ = previous.CancelAsync();
    }

    [LoggerMessage(EventId = 1110, Level = LogLevel.Warning,
        Message = "Lost the connection to a silo ({Remaining} left): grain calls in flight are cancelled and asked again")]
    private static partial void LogSiloLost(ILogger logger, int remaining);
}
