namespace Pacs.Grains.Reports;

/// <summary>
/// The report of one study (key: <see cref="KeyFor"/>, from the Study Instance UID): the only writer of its rows in
/// pacs_reports and pacs_report_versions. Every change names the entity tag it was made against (optimistic
/// concurrency: two doctors never silently overwrite each other) and is audited. Beside it, an advisory editing lock
/// (<see cref="ReportLock"/>): while one user holds it, another user's changes are refused (409 naming the holder).
/// </summary>
[Alias("pacs.IReportGrain")]
public interface IReportGrain : IGrainWithStringKey
{
    [Alias("Get")]
    Task<ReportState> GetAsync();

    /// <summary>Every version, oldest first.</summary>
    [Alias("History")]
    Task<IReadOnlyList<ReportVersion>> HistoryAsync();

    /// <summary>
    /// Creates or edits the draft (version 1), or edits the preliminary report (which stays preliminary); a signed
    /// report cannot be edited, only amended.
    /// </summary>
    [Alias("SaveDraft")]
    Task<ReportResult> SaveDraftAsync(string ifMatch, ReportContent content, string author);

    /// <summary>Marks the draft preliminary (optional): still editable, shown as such until it is signed.</summary>
    [Alias("MarkPreliminary")]
    Task<ReportResult> MarkPreliminaryAsync(string ifMatch, string actor);

    /// <summary>Signs the draft or preliminary report: it becomes final and immutable.</summary>
    [Alias("Sign")]
    Task<ReportResult> SignAsync(string ifMatch, string signer);

    /// <summary>Adds a new signed version to a signed report, with the reason for the change.</summary>
    [Alias("Amend")]
    Task<ReportResult> AmendAsync(string ifMatch, ReportContent content, string reason, string signer);

    /// <summary>
    /// Records that a critical finding was communicated, for the version to be signed next (the draft's, or the next
    /// version of a signed report). Needs a report; does not change the ETag.
    /// </summary>
    [Alias("RecordCriticalNotification")]
    Task<ReportResult> RecordCriticalNotificationAsync(CriticalNotification notification);

    /// <summary>The editing lock, or null when nobody holds it (or it has expired).</summary>
    [Alias("GetLock")]
    Task<ReportLock?> GetLockAsync();

    /// <summary>
    /// Takes or renews the editing lock for <paramref name="user"/> and returns the lock as it then stands: the caller's
    /// when granted, else the other holder's. <paramref name="force"/> (admins) takes it over from another holder.
    /// </summary>
    [Alias("AcquireLock")]
    Task<ReportLock> AcquireLockAsync(string user, string displayName, bool force);

    /// <summary>Releases the lock if <paramref name="user"/> holds it.</summary>
    [Alias("ReleaseLock")]
    Task ReleaseLockAsync(string user);

    public static string KeyFor(string studyInstanceUid) => "report/" + studyInstanceUid;
}
