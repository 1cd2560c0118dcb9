namespace Pacs.Grains;

/// <summary>
/// What the ingest funnel hands to the study grain once the bytes are durable in the blob store: identity, the
/// flat attributes the index columns need, and the header as DICOM JSON (no bulk data). Never pixel data.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("pacs.InstanceRecord")]
public sealed record InstanceRecord
{
    [Id(0)] public required string StudyInstanceUid { get; init; }
    [Id(1)] public required string SeriesInstanceUid { get; init; }
    [Id(2)] public required string SopInstanceUid { get; init; }
    [Id(3)] public required string SopClassUid { get; init; }
    [Id(4)] public required string TransferSyntaxUid { get; init; }
    [Id(5)] public required string BlobKey { get; init; }
    [Id(6)] public required long BlobSize { get; init; }
    /// <summary>Hash of the stored bytes in <see cref="ContentHashAlgorithm"/>: the same bytes again are a duplicate.</summary>
    [Id(7)] public required byte[] ContentHash { get; init; }
    [Id(8)] public required PatientDemographics Patient { get; init; }
    [Id(9)] public required StudyAttributes Study { get; init; }
    [Id(10)] public required SeriesAttributes Series { get; init; }
    [Id(11)] public int? InstanceNumber { get; init; }
    [Id(12)] public int? NumberOfFrames { get; init; }
    [Id(13)] public int? Rows { get; init; }
    [Id(14)] public int? Columns { get; init; }
    /// <summary>The full header as DICOM JSON (UTF-8), bulk data replaced by nothing: what metadata requests serve.</summary>
    [Id(15)] public required byte[] HeaderJson { get; init; }
    /// <summary>Who sent it (calling AE or user), for the audit trail.</summary>
    [Id(16)] public string Source { get; init; } = "";
    /// <summary>An administrator's accept or restore of a kept copy: replaces the stored instance whatever the duplicate policy.</summary>
    [Id(17)] public bool Supersede { get; init; }
    /// <summary>
    /// The access groups the receiving gateway's rules gave this instance; the study holds the union of its
    /// instances' groups. Empty (an admin's accept of a kept copy): the study's groups stay as they are.
    /// </summary>
    [Id(18)] public string[] AccessGroups { get; init; } = [];
    /// <summary>How <see cref="ContentHash"/> was made (<see cref="ContentHashAlgorithms"/>); the ingest funnel uses BLAKE3.</summary>
    [Id(19)] public string ContentHashAlgorithm { get; init; } = ContentHashAlgorithms.Sha256;
    /// <summary>
    /// SHA-256 of the same bytes, given only when the study grain asked for it (<see cref="CommitOutcome.Sha256Needed"/>):
    /// to compare with a stored copy indexed before BLAKE3.
    /// </summary>
    [Id(20)] public byte[]? Sha256 { get; init; }
}

[GenerateSerializer, Immutable]
[Alias("pacs.PatientDemographics")]
public sealed record PatientDemographics
{
    [Id(0)] public string PatientId { get; init; } = "";
    [Id(1)] public string IssuerOfPatientId { get; init; } = "";
    [Id(2)] public string PatientName { get; init; } = "";
    [Id(3)] public string PatientBirthDate { get; init; } = "";
    [Id(4)] public string PatientSex { get; init; } = "";
    /// <summary>Patient-level attributes as DICOM JSON (UTF-8).</summary>
    [Id(5)] public byte[] AttributesJson { get; init; } = [];
}

[GenerateSerializer, Immutable]
[Alias("pacs.StudyAttributes")]
public sealed record StudyAttributes
{
    [Id(0)] public string StudyDate { get; init; } = "";
    [Id(1)] public string StudyTime { get; init; } = "";
    [Id(2)] public string AccessionNumber { get; init; } = "";
    [Id(3)] public string StudyId { get; init; } = "";
    [Id(4)] public string StudyDescription { get; init; } = "";
    [Id(5)] public string ReferringPhysicianName { get; init; } = "";
    /// <summary>Study-level attributes as DICOM JSON (UTF-8).</summary>
    [Id(6)] public byte[] AttributesJson { get; init; } = [];
}

[GenerateSerializer, Immutable]
[Alias("pacs.SeriesAttributes")]
public sealed record SeriesAttributes
{
    [Id(0)] public string Modality { get; init; } = "";
    [Id(1)] public int? SeriesNumber { get; init; }
    [Id(2)] public string SeriesDescription { get; init; } = "";
    [Id(3)] public string SeriesDate { get; init; } = "";
    [Id(4)] public string SeriesTime { get; init; } = "";
    [Id(5)] public string BodyPartExamined { get; init; } = "";
    /// <summary>Series-level attributes as DICOM JSON (UTF-8).</summary>
    [Id(6)] public byte[] AttributesJson { get; init; } = [];
}

/// <summary>What happened to a committed instance.</summary>
[GenerateSerializer]
[Alias("pacs.CommitOutcome")]
public enum CommitOutcome
{
    /// <summary>New instance, now in the index.</summary>
    Stored = 0,
    /// <summary>Same SOP Instance UID with the same bytes: nothing changed; the caller deletes its new blob.</summary>
    Duplicate = 1,
    /// <summary>Same SOP Instance UID, different bytes: replaced (policy "replace") and audited; the old blob key is returned.</summary>
    Replaced = 2,
    /// <summary>Same SOP Instance UID, different bytes, policy "reject": nothing changed; the caller deletes its new blob.</summary>
    Rejected = 3,
    /// <summary>
    /// Same SOP Instance UID, different bytes, policy "keep first": the stored instance stays, the new blob is kept
    /// aside as a conflict copy (or, when the same bytes were already kept aside, left for the caller to reclaim).
    /// </summary>
    Conflict = 4,
    /// <summary>
    /// The stored copy's hash is SHA-256 (indexed before BLAKE3) and the record has none: nothing changed; the caller
    /// asks again with <see cref="InstanceRecord.Sha256"/> of its bytes.
    /// </summary>
    Sha256Needed = 5,
    /// <summary>
    /// Not committed (only from <see cref="IStudyGrain.CommitManyAsync"/>): <see cref="CommitResult.Error"/> is the
    /// message of the <see cref="ArchiveIndexException"/> that <see cref="IStudyGrain.CommitAsync"/> would have thrown.
    /// </summary>
    Failed = 6,
}

[GenerateSerializer, Immutable]
[Alias("pacs.CommitResult")]
public sealed record CommitResult([property: Id(0)] CommitOutcome Outcome, [property: Id(1)] string? ObsoleteBlobKey = null)
{
    /// <summary>Why it was not committed, with <see cref="CommitOutcome.Failed"/>.</summary>
    [Id(2)] public string? Error { get; init; }
}

[GenerateSerializer, Immutable]
[Alias("pacs.PatientSummary")]
public sealed record PatientSummary(
    [property: Id(0)] PatientDemographics Current,
    [property: Id(1)] IReadOnlyList<string> StudyInstanceUids,
    [property: Id(2)] IReadOnlyList<DemographicsConflict> Conflicts);

/// <summary>A study that arrived with demographics differing from what the patient already had.</summary>
[GenerateSerializer, Immutable]
[Alias("pacs.DemographicsConflict")]
public sealed record DemographicsConflict(
    [property: Id(0)] string StudyInstanceUid,
    [property: Id(1)] string Attribute,
    [property: Id(2)] string Existing,
    [property: Id(3)] string Incoming,
    [property: Id(4)] DateTimeOffset DetectedAt);

/// <summary>
/// The index (PostgreSQL) could not do what a grain asked: unavailable, or it refused. Carries the message only:
/// database driver exceptions do not cross the wire. The ingest funnel answers "out of resources".
/// </summary>
[GenerateSerializer]
[Alias("pacs.ArchiveIndexException")]
public sealed class ArchiveIndexException : Exception
{
    public ArchiveIndexException()
    {
    }

    public ArchiveIndexException(string message)
        : base(message)
    {
    }

    public ArchiveIndexException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
