namespace Pacs.Grains.Tests;

public sealed class SeriesMetadataBudgetTests
{
    private static SeriesMetadata Series(int bytes) => new() { Version = Guid.NewGuid().ToString("N"), Json = new byte[bytes] };

    [Fact]
    public void Keep_OverBudget_LetsTheLeastRecentlyUsedGoToTheCollector()
    {
        var budget = new SeriesMetadataBudget(20_000);
        var weak = new Dictionary<string, WeakReference<SeriesMetadata>>();
        void Keep(string key)
        {
            var series = Series(4_500);
            weak[key] = new WeakReference<SeriesMetadata>(series);
            budget.Keep(key, series);
        }

        foreach (var key in new[] { "a", "b", "c", "d" })
        {
            Keep(key);
        }

        Assert.Equal(18_000, budget.Bytes);
        budget.Touch("a"); // b is now the least recently used
        Keep("e");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.Equal(18_000, budget.Bytes);
        Assert.False(weak["b"].TryGetTarget(out _), "the least recently used series is still held");
        Assert.True(weak["a"].TryGetTarget(out _));
        Assert.True(weak["e"].TryGetTarget(out _));
    }

    [Fact]
    public void Forget_ReleasesTheBytes_AndAHugeSeriesIsNeverKept()
    {
        var budget = new SeriesMetadataBudget(10_000);
        budget.Keep("a", Series(2_000));
        budget.Forget("a");
        Assert.Equal(0, budget.Bytes);

        budget.Keep("huge", Series(5_000));
        Assert.Equal(0, budget.Bytes);
    }
}
