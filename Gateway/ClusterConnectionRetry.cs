namespace Pacs.Gateway;

/// <summary>
/// A gateway may start before any silo, or before the first silo has created the schema (Kubernetes starts pods in
/// no particular order; `./pacs up` starts them together): the first connection to the cluster is retried until it
/// works or the host is stopped, with a growing pause, instead of the process exiting on "no silo" or "relation
/// orleansquery does not exist". The gateway is not ready (/health/ready) until it is connected.
/// </summary>
internal sealed partial class ClusterConnectionRetry(ILogger<ClusterConnectionRetry> logger) : IClientConnectionRetryFilter
{
    private int _attempt;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var attempt = Interlocked.Increment(ref _attempt);
        var pause = TimeSpan.FromMilliseconds(Math.Min(5_000, 250 * attempt));
        LogRetry(logger, attempt, pause.TotalSeconds, exception.GetType().Name, exception.Message);
        try
        {
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return true;
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning,
        Message = "Cluster not reachable yet (attempt {Attempt}, next in {Seconds:0.##} s): {Kind}: {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, double seconds, string kind, string reason);
}
