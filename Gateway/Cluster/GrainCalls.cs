using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Pacs.Gateway.Cluster;

/// <summary>
/// Grain calls that ride through a silo's failure. A call is asked again when its answer may be lost, instead of
/// waiting for Orleans' response timeout (a last resort, see Program.cs): when this gateway loses a silo connection
/// while the call is in flight (<see cref="SiloLossSignal"/>), and when the cluster rejects it because the silo that
/// holds the grain is unreachable (connection refused before the membership table declares it dead, or known dead).
/// Once the silo is declared dead the next attempt activates the grain on a survivor. Only for calls that may be
/// repeated: reads, the ingest commit (a repeated commit of the same instance is answered Duplicate), and a logout
/// (revoking a session twice is a no-op).
/// </summary>
internal sealed partial class GrainCalls(SiloLossSignal signal, IOptions<GrainCallOptions> options, ILogger<GrainCalls> logger)
{
    /// <summary>Runs <paramref name="call"/> until it answers, asking again while a silo failure is being resolved.</summary>
    /// <exception cref="TimeoutException">No answer within <see cref="GrainCallOptions.RetryFor"/>.</exception>
    public Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        RunAsync(what, call, options.Value.RetryFor, cancellationToken);

    /// <summary>As <see cref="RunAsync{T}(string, Func{CancellationToken, Task{T}}, CancellationToken)"/>, giving up after <paramref name="budget"/>.</summary>
    public async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> call, TimeSpan budget, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = new CancellationTokenSource(budget);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var pause = options.Value.FirstRetryPause;
        for (var attempt = 1; ; attempt++)
        {
            // Taken before the call: a loss reported after this moment may have taken the call's answer with it.
            var lost = signal.Token;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(bounded.Token, lost);
            // While a loss is recent, an attempt that is not answered within AttemptTimeout is taken for lost too (see
            // SiloLossSignal.LostWithin): without this bound it would wait for Orleans' response timeout (15 s).
            var unsettled = signal.LostWithin(options.Value.UnsettledAfterLoss);
            if (unsettled)
            {
                linked.CancelAfter(options.Value.AttemptTimeout);
            }

            try
            {
                return await call(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested && !bounded.IsCancellationRequested)
            {
                // Asked again at once: the grain may be on a silo that is alive.
                LogRetry(logger, what, attempt, "a silo connection was lost", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                continue;
            }
            catch (OperationCanceledException) when (unsettled && linked.IsCancellationRequested && !bounded.IsCancellationRequested)
            {
                LogRetry(logger, what, attempt, "no answer shortly after a silo was lost", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                continue;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{what}: no answer within {budget.TotalSeconds:0.#} s");
            }
            catch (Exception e) when (IsSiloUnreachable(e) && !bounded.IsCancellationRequested)
            {
                // Until the membership table declares the silo dead the grain stays registered there: pause, then ask again.
                LogRetry(logger, what, attempt, e.GetType().Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            try
            {
                await Task.Delay(pause, bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{what}: no answer within {budget.TotalSeconds:0.#} s");
            }

            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, options.Value.MaxRetryPause.Ticks));
        }
    }

    /// <summary>
    /// The cluster could not deliver the call to the silo that holds the grain (it is dead, or not reachable): nothing ran
    /// there, or what ran is lost with it. Not an error of the grain's own making, which is never retried.
    /// </summary>
    internal static bool IsSiloUnreachable(Exception e) => e is SiloUnavailableException or OrleansMessageRejectionException
        or Orleans.Runtime.Messaging.ConnectionFailedException or GatewayTooBusyException;

    [LoggerMessage(EventId = 1111, Level = LogLevel.Information,
        Message = "{What}: attempt {Attempt} not answered ({Reason}) after {Milliseconds:F0} ms; asking again")]
    private static partial void LogRetry(ILogger logger, string what, int attempt, string reason, double milliseconds);
}
