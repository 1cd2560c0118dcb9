using Pacs.Dicom;

namespace Pacs.Gateway.Ingest;

/// <summary>Where an instance comes from and what the entry point already knows about it.</summary>
public sealed record IngestRequest
{
    /// <summary>Transfer syntax of a bare data set (DIMSE); null when the stream is a Part 10 file (STOW-RS).</summary>
    public DicomTransferSyntax? TransferSyntax { get; init; }

    /// <summary>Who sent it: "dimse:CALLINGAE" or "user:name"; recorded in the audit trail, never logged above Debug with patient data.</summary>
    public required string Source { get; init; }

    /// <summary>C-STORE's Affected SOP Class/Instance UIDs (PS3.7 9.1.1): the data set must carry the same.</summary>
    public string? ExpectedSopClassUid { get; init; }
    public string? ExpectedSopInstanceUid { get; init; }

    /// <summary>STOW-RS to /studies/{study}: the data set's Study Instance UID must match (PS3.18 10.5).</summary>
    public string? ExpectedStudyInstanceUid { get; init; }

    /// <summary>An administrator's accept or restore of a kept copy: it replaces the stored instance whatever the duplicate policy.</summary>
    public bool Supersede { get; init; }
}
