using System.Diagnostics;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.Tests;

public sealed class ContentHashWarmupTests
{
    [Fact]
    public async Task RunAsync_StopsWithinItsBound()
    {
        var started = Stopwatch.GetTimestamp();

        var result = await ContentHashWarmup.RunAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None);

        Assert.True(result.Rounds >= 1);
        // Either it reached full speed early or it gave up at its bound: never longer than the bound and one round.
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5), $"took {Stopwatch.GetElapsedTime(started)}");
        Assert.True(result.Fast || result.Elapsed >= TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task RunAsync_Cancelled_StopsAtOnce()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var started = Stopwatch.GetTimestamp();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ContentHashWarmup.RunAsync(TimeSpan.FromMinutes(5), cancellation.Token));

        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5));
    }
}
