namespace Pacs.Gateway.Ingest;

/// <summary>
/// Where a folder import stands (GET /api/admin/import). <see cref="Skipped"/>: files a previous run of the same
/// paths finished (the checkpoint). <see cref="RefusedByReason"/>: refused instances per ingest outcome;
/// <see cref="RefusedFiles"/> and <see cref="NotDicomFiles"/> list the first <see cref="FolderImport.MaxListed"/>.
/// </summary>
public sealed record ImportProgress(
    string State,
    IReadOnlyList<string> Paths,
    long Files,
    long Skipped,
    long Done,
    long Bytes,
    long Stored,
    long Duplicates,
    long Refused,
    long NotDicom,
    double ElapsedSeconds,
    double InstancesPerSecond,
    double MegabytesPerSecond,
    double? EtaSeconds,
    DateTimeOffset? StartedAt,
    string? Error,
    IReadOnlyDictionary<string, long> RefusedByReason,
    IReadOnlyList<ImportedFile> RefusedFiles,
    IReadOnlyList<ImportedFile> NotDicomFiles);
