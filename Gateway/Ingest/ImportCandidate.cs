using System.Globalization;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// One thing a folder import sends, or reports: a file (<see cref="EntryIndex"/> null), an entry of a zip archive
/// (<see cref="File"/> is the archive, <see cref="Path"/> "archive!/entry"), or a file a DICOMDIR names that is not
/// there (<see cref="Missing"/>). <see cref="CheckpointLine"/> names it in the import's checkpoint (the file's, or the
/// archive's, size and time, so that a changed file is sent again).
/// </summary>
internal sealed record ImportCandidate(string Path, FileInfo File, int? EntryIndex = null, string? Missing = null)
{
    public string CheckpointLine =>
        $"{(EntryIndex is { } i ? $"{File.FullName}!/{i.ToString(CultureInfo.InvariantCulture)}" : Path)}\t"
        + $"{File.Length.ToString(CultureInfo.InvariantCulture)}\t{File.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)}";
}
