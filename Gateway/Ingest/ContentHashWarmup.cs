using System.Diagnostics;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// Brings the content hash to full speed before the first modality sends. BLAKE3 here is managed code (the Blake3
/// package), and until the JIT has promoted its compression functions to optimized code it hashes at a fraction of
/// its speed. On a freshly started gateway that promotion waits for as long as new methods keep being compiled (tiered
/// compilation starts counting calls only after a pause in new compilations), so without this the first thousand
/// CT instances stored paid about 1.3 ms of CPU each for hashing instead of 0.2 (docs/benchmarks.md, "The cold-start
/// cost of the content hash"). Here a buffer is hashed a little at a time, in the pieces the ingest path feeds, until
/// a round runs at full speed several times in a row, or <see cref="MaxDuration"/> passes.
/// </summary>
internal sealed partial class ContentHashWarmup(ILogger<ContentHashWarmup> logger) : BackgroundService
{
    /// <summary>The longest the warm-up goes on (on a machine too busy to ever look fast, it just stops).</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(30);

    private const int BufferSize = 256 * 1024;

    // The piece sizes of one round: whole PDUs' worth, single chunks and odd tails, so each of the hasher's paths (16,
    // 8, 4 and 1 chunk at a time, and the partial block) is exercised as the ingest path exercises them.
    private static readonly int[] PieceSizes = [65_536, 16_384, 4_096, 1_024, 333, 64, 7];

    // A round counts as fast at 1 GB/s or more; warm BLAKE3 runs at 2-2.5 GB/s here, cold at 0.1-0.5.
    private static readonly TimeSpan FastRound = TimeSpan.FromTicks(TimeSpan.TicksPerSecond * BufferSize / 1_000_000_000);

    private const int FastRoundsNeeded = 5;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var result = await RunAsync(MaxDuration, stoppingToken).ConfigureAwait(false);
            LogWarm(logger, result.Rounds, result.Elapsed.TotalMilliseconds, result.Fast);
        }
        catch (OperationCanceledException)
        {
            // Shut down during the warm-up: nothing to finish.
        }
    }

    /// <summary>Hashes rounds of a buffer until <see cref="FastRoundsNeeded"/> fast rounds in a row or <paramref name="maxDuration"/>.</summary>
    public static async Task<WarmupResult> RunAsync(TimeSpan maxDuration, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        new Random(17).NextBytes(buffer);
        var started = Stopwatch.GetTimestamp();
        var rounds = 0;
        var fastInARow = 0;
        while (Stopwatch.GetElapsedTime(started) < maxDuration)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var roundStarted = Stopwatch.GetTimestamp();
            HashRound(buffer);
            rounds++;
            fastInARow = Stopwatch.GetElapsedTime(roundStarted) <= FastRound ? fastInARow + 1 : 0;
            if (fastInARow >= FastRoundsNeeded)
            {
                return new WarmupResult(rounds, Stopwatch.GetElapsedTime(started), true);
            }

            // A pause between rounds: the start-up's other work goes first, and the JIT's background promotion runs.
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        return new WarmupResult(rounds, Stopwatch.GetElapsedTime(started), false);
    }

    private static void HashRound(byte[] buffer)
    {
        using var hash = new ContentHash();
        var offset = 0;
        var piece = 0;
        while (offset < buffer.Length)
        {
            var size = Math.Min(PieceSizes[piece++ % PieceSizes.Length], buffer.Length - offset);
            hash.Append(buffer.AsSpan(offset, size));
            offset += size;
        }

        _ = hash.Finish();
    }

    public readonly record struct WarmupResult(int Rounds, TimeSpan Elapsed, bool Fast);

    [LoggerMessage(Level = LogLevel.Information, Message = "Content hash warm-up: {Rounds} rounds in {ElapsedMs:F0} ms, at full speed: {Fast}")]
    private static partial void LogWarm(ILogger logger, int rounds, double elapsedMs, bool fast);
}
