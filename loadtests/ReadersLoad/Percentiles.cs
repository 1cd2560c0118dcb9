namespace Pacs.Loadtests.ReadersLoad;

/// <summary>Percentiles by the nearest-rank method: the smallest value with at least p % of the values at or below it.</summary>
internal static class Percentiles
{
    public static double Of(IReadOnlyList<double> sorted, double percent)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    /// <summary>p50, p95 and p99 of the values (any order), rounded to 0.1.</summary>
    public static Summary Summarize(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return new Summary(sorted.Count, Round(Of(sorted, 50)), Round(Of(sorted, 95)), Round(Of(sorted, 99)), sorted.Count == 0 ? double.NaN : Round(sorted[^1]));
    }

    private static double Round(double v) => double.IsNaN(v) ? v : Math.Round(v, 1);

    /// <summary>How many values, and their p50, p95, p99 and maximum.</summary>
    internal readonly record struct Summary(int Count, double P50, double P95, double P99, double Max);
}
