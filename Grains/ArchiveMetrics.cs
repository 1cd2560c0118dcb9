using System.Diagnostics.Metrics;

namespace Pacs.Grains;

/// <summary>The grains' meters: how many index transactions group commit saves.</summary>
internal static class ArchiveMetrics
{
    public const string MeterName = "Pacs.Grains";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Index transactions written by study grains (one per group-committed batch).</summary>
    public static readonly Counter<long> CommitBatches = Meter.CreateCounter<long>("pacs.study.commit.batches");

    /// <summary>Instances written to the index (new or replacing).</summary>
    public static readonly Counter<long> CommittedInstances = Meter.CreateCounter<long>("pacs.study.commit.instances");
}
