namespace Pacs.Grains;

/// <summary>What a study grain does with a second, different set of bytes for a SOP Instance UID it already holds.</summary>
public enum DuplicatePolicy
{
    /// <summary>The new bytes replace the stored ones; the replacement is audited (pacs_audit_events).</summary>
    Replace,

    /// <summary>The stored bytes stay; the sender gets a failure.</summary>
    Reject,
}

/// <summary>Settings of the archive grains (section "Pacs").</summary>
public sealed class ArchiveGrainOptions
{
    public const string Section = "Pacs";

    public DuplicatePolicy DuplicatePolicy { get; set; } = DuplicatePolicy.Replace;

    /// <summary>Most instances one group-committed transaction carries.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>
    /// Memory the study grains of one silo may keep for DICOMweb series metadata, in MiB (least recently used let go
    /// first; a 500-instance CT series is about 5 MiB).
    /// </summary>
    public int SeriesMetadataMegabytes { get; set; } = 1024;
}
