namespace Pacs.Gateway.Ingest;

/// <summary>
/// Where a rebuild of the index from the blob store stands (GET /api/admin/reindex). Counts are of blobs (instances).
/// <see cref="Skipped"/>: in study folders a previous run finished (the checkpoint). <see cref="Refused"/>: blobs not
/// indexed (corrupt, truncated, unrecognised, named against their header), the first <see cref="Reindexer.MaxListed"/>
/// listed with their reason in <see cref="RefusedBlobs"/>. <see cref="HeaderOnly"/>: of <see cref="Done"/>, the blobs
/// whose header alone was read (their hash recorded with them); the others were read whole.
/// </summary>
public sealed record ReindexProgress(
    string State,
    long Total,
    long Skipped,
    long Done,
    long Indexed,
    long AlreadyIndexed,
    long KeptAside,
    long Refused,
    int StudyFolders,
    int StudyFoldersDone,
    double ElapsedSeconds,
    double InstancesPerSecond,
    double? EtaSeconds,
    DateTimeOffset? StartedAt,
    string? Error,
    IReadOnlyList<RefusedBlob> RefusedBlobs)
{
    public long HeaderOnly { get; init; }

    /// <summary>Where the time went (summed over concurrent work).</summary>
    public ReindexStages? Stages { get; init; }
}
