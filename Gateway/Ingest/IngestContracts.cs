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
}

/// <summary>The outcome the entry point maps to its own protocol (DIMSE status, STOW FailureReason).</summary>
public enum IngestStatus
{
    Stored,
    /// <summary>Same SOP Instance with the same bytes: success, nothing changed.</summary>
    Duplicate,
    /// <summary>Same SOP Instance with different bytes, replaced per policy (and audited).</summary>
    Replaced,
    /// <summary>Not DICOM or structurally corrupt (DIMSE C000 "cannot understand", STOW 0xC000).</summary>
    CannotUnderstand,
    /// <summary>Required identifying attributes missing or invalid, or not matching the command (DIMSE A900, STOW 0xA900).</summary>
    DataSetDoesNotMatch,
    /// <summary>Study UID differs from the STOW URL's (STOW 0x0110 per PS3.18 Table 10.5.3-1 usage of processing failure).</summary>
    StudyUidMismatch,
    /// <summary>Storage or database unavailable (DIMSE A700 out of resources, STOW 0xA700).</summary>
    OutOfResources,
    /// <summary>Different bytes for a stored instance under the "reject" policy.</summary>
    RejectedDuplicate,
    /// <summary>The sender went away mid-instance: nothing stored, nobody to answer.</summary>
    Aborted,
}

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

/// <summary>
/// An instance received by <see cref="IngestService.ReceiveAsync"/>: either already decided (<see cref="Result"/>,
/// a failure) or waiting for <see cref="IngestService.CommitAsync"/>, which owns and disposes its staging blob.
/// </summary>
public sealed class ReceivedInstance
{
    internal ReceivedInstance(IngestResult? result, Storage.IBlobWrite? write, Task? intent, Grains.InstanceRecord? record, IReadOnlyList<string>? warnings)
    {
        Result = result;
        Write = write;
        Intent = intent;
        Record = record;
        Warnings = warnings;
    }

    /// <summary>The outcome when nothing is left to commit (the instance was refused or the sender went away).</summary>
    public IngestResult? Result { get; }

    internal Storage.IBlobWrite? Write { get; }

    internal Task? Intent { get; }

    internal Grains.InstanceRecord? Record { get; }

    internal IReadOnlyList<string>? Warnings { get; }

    internal static ReceivedInstance Failed(IngestResult result) => new(result, null, null, null, null);
}
