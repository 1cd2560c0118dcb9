namespace Pacs.Grains;

/// <summary>
/// The one place where a study's instances are accepted (key: "study:" + Study Instance UID). It deduplicates by
/// SOP Instance UID, keeps series and study summaries, and writes the index. Concurrent commits from many gateways
/// are group-committed: one PostgreSQL transaction per batch, each caller answered after its batch commits.
/// Image bytes never pass through it: the caller has already written them to the blob store.
/// </summary>
[Alias("pacs.IStudyGrain")]
public interface IStudyGrain : IGrainWithStringKey
{
    /// <remarks>
    /// <paramref name="cancellationToken"/> lets the caller stop waiting (a silo it may have gone to was lost) without
    /// waiting for the response timeout; the grain does not observe it: a commit it has taken runs to the end, and the
    /// caller's next attempt for the same instance is answered Duplicate.
    /// </remarks>
    [Alias("Commit")]
    Task<CommitResult> CommitAsync(InstanceRecord instance, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="CommitAsync"/> of each of <paramref name="instances"/> (all of this study), in their order: copies of
    /// one SOP Instance are decided one after the other, the rest join the same batch transactions. One call for many
    /// instances (the index rebuild: a chunk of a study folder), so that the call's own cost is paid once. An instance
    /// the index could not take is answered <see cref="CommitOutcome.Failed"/> with the reason, as
    /// <see cref="CommitAsync"/> would have thrown it; the others are answered as they were decided.
    /// </summary>
    [Alias("CommitMany")]
    Task<IReadOnlyList<CommitResult>> CommitManyAsync(IReadOnlyList<InstanceRecord> instances, CancellationToken cancellationToken = default);

    /// <summary>
    /// Nothing but the activation (the study's instance list read from the index), answered by no one: the ingest
    /// funnel sends it when a study's first header arrives, so that the activation overlaps the blob's write instead
    /// of adding to the commit's wait.
    /// </summary>
    [Alias("Prepare")]
    [Orleans.Concurrency.OneWay]
    Task PrepareAsync();

    /// <summary>Removes the study, a series of it or one instance from the index; returns the blob keys to delete.</summary>
    [Alias("Delete")]
    Task<IReadOnlyList<string>> DeleteAsync(string? seriesInstanceUid, string? sopInstanceUid);

    // --- DICOMweb metadata (WADO-RS, PS3.18 10.4): built from the index once, kept while the grain is active. ---

    /// <summary>
    /// The series' metadata as a DICOM JSON array, built on first request and dropped when the series changes.
    /// When <paramref name="knownVersion"/> is the current version only the version comes back (no bytes).
    /// Null when the study has no such series.
    /// </summary>
    [Alias("GetSeriesMetadata")]
    Task<SeriesMetadata?> GetSeriesMetadataAsync(string seriesInstanceUid, string? knownVersion, CancellationToken cancellationToken = default);

    /// <summary>The Series Instance UIDs of the study that hold instances (empty when the study is unknown).</summary>
    [Alias("GetSeriesInstanceUids")]
    Task<IReadOnlyList<string>> GetSeriesInstanceUidsAsync(CancellationToken cancellationToken = default);

    public static string KeyFor(string studyInstanceUid) => "study:" + studyInstanceUid;
}

/// <summary>
/// A patient: demographics (the first committed win), studies, and the conflicting demographics later studies brought.
/// Key: "patient:" + Issuer of Patient ID + "|" + Patient ID, each with '%' and '|' percent-encoded, so that no two
/// (issuer, ID) pairs share a key.
/// </summary>
[Alias("pacs.IPatientGrain")]
public interface IPatientGrain : IGrainWithStringKey
{
    [Alias("GetSummary")]
    Task<PatientSummary> GetSummaryAsync();

    public static string KeyFor(string issuerOfPatientId, string patientId) =>
        "patient:" + Escape(issuerOfPatientId) + "|" + Escape(patientId);

    /// <summary>The (issuer, ID) pair of a key made by <see cref="KeyFor"/>.</summary>
    public static (string IssuerOfPatientId, string PatientId) ParseKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        const string prefix = "patient:";
        var separator = key.IndexOf('|', StringComparison.Ordinal);
        if (!key.StartsWith(prefix, StringComparison.Ordinal) || separator < 0 || key.IndexOf('|', separator + 1) >= 0)
        {
            throw new ArgumentException($"Not a patient grain key: '{key}'.", nameof(key));
        }

        return (Unescape(key[prefix.Length..separator]), Unescape(key[(separator + 1)..]));
    }

    private static string Escape(string value) => value.Replace("%", "%25", StringComparison.Ordinal).Replace("|", "%7C", StringComparison.Ordinal);

    private static string Unescape(string value) => value.Replace("%7C", "|", StringComparison.Ordinal).Replace("%25", "%", StringComparison.Ordinal);
}
