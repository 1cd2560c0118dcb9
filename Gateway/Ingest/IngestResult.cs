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
    public bool IsSuccess => Status is IngestStatus.Stored or IngestStatus.Duplicate or IngestStatus.Replaced;
}
