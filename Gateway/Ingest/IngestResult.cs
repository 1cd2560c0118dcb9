using Pacs.Dicom;

namespace Pacs.Gateway.Ingest;

public sealed record IngestResult(
    IngestStatus Status,
    string? StudyInstanceUid = null,
    string? SeriesInstanceUid = null,
    string? SopInstanceUid = null,
    string? SopClassUid = null,
    string? ErrorComment = null,
    IReadOnlyList<string>? Warnings = null)
{
    /// <summary>The archive holds an instance under this SOP Instance UID and the sender need not send it again.</summary>
    public bool IsSuccess => Status is IngestStatus.Stored or IngestStatus.Duplicate or IngestStatus.Replaced or IngestStatus.Conflict;
}
