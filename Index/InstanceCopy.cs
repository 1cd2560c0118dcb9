namespace Pacs.Index;

/// <summary>
/// A copy of an instance kept beside the indexed one (pacs_instance_copies): a <c>conflict</c> (different bytes sent
/// under the keep-first policy) or a <c>replaced</c> blob restorable until <see cref="ExpiresAt"/>. Its content hash
/// (hex) is in <see cref="ContentHashAlgorithm"/> ("sha256" before 0170, "blake3" after).
/// </summary>
public sealed record InstanceCopy(
    long Id,
    string Kind,
    string StudyInstanceUid,
    string SeriesInstanceUid,
    string SopInstanceUid,
    string SopClassUid,
    string TransferSyntaxUid,
    string BlobKey,
    long BlobSize,
    string ContentHash,
    string Source,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    string ContentHashAlgorithm);
