namespace Pacs.Grains;

/// <summary>What a study grain does with a second, different set of bytes for a SOP Instance UID it already holds.</summary>
public enum DuplicatePolicy
{
    /// <summary>
    /// The default, as radiology archives do (Orthanc's OverwriteInstances false, dcm4chee's overwrite policy never):
    /// the stored bytes stay; the different copy is kept aside as a conflict (pacs_instance_copies) for an
    /// administrator to accept or discard, audited; the sender gets a warning (docs/conformance.md 5.2).
    /// </summary>
    KeepFirst,

    /// <summary>
    /// The new bytes replace the stored ones; the replacement is audited (pacs_audit_events) and the replaced blob is
    /// kept for <see cref="ArchiveGrainOptions.ReplacedRetention"/>, restorable by an administrator.
    /// </summary>
    Replace,

    /// <summary>The stored bytes stay, the different copy is deleted; the sender gets a failure (0111).</summary>
    Reject,
}

/// <summary>Settings of the archive grains (section "Pacs").</summary>
public sealed class ArchiveGrainOptions
{
    public const string Section = "Pacs";

    public DuplicatePolicy DuplicatePolicy { get; set; } = DuplicatePolicy.KeepFirst;

    /// <summary>
    /// How long a blob superseded by a replacement stays restorable (a 'replaced' copy in pacs_instance_copies) before
    /// the gateways' reconciler deletes it; zero deletes it at once.
    /// </summary>
    public TimeSpan ReplacedRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Most instances one group-committed transaction carries.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>
    /// Memory the study grains of one silo may keep for DICOMweb series metadata, in MiB (least recently used let go
    /// first; a 500-instance CT series is about 5 MiB).
    /// </summary>
    public int SeriesMetadataMegabytes { get; set; } = 1024;
}
