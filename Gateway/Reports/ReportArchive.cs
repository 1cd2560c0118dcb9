using Microsoft.Extensions.Options;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.Documents;
using Pacs.Gateway.Ingest;
using Pacs.Grains.Accounts;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;

namespace Pacs.Gateway.Reports;

/// <summary>
/// The signed PDF of a report version (ReportPdf, signed by ReportSigner) and its copy in the study: an Encapsulated
/// PDF instance (PS3.3 A.45.1) stored through the one ingest funnel, as STOW-RS and C-STORE do. All versions go to one
/// "Report" series (Modality DOC) whose UID is derived from the study's, one instance per version (its UID derived
/// from study and version). A version is claimed before its copy is stored and marked archived after
/// (ReportArchiveCopies), so a copy the blob store or database refused at signing is stored later by
/// <see cref="ReportArchiveSweep"/>, exactly once.
/// </summary>
internal sealed partial class ReportArchive(
    IngestService ingest,
    ReportArchiveCopies copies,
    ReportSigner signer,
    IClusterClient cluster,
    IOptions<ReportOptions> options,
    ILogger<ReportArchive> logger)
{
    /// <summary>How long a gateway holds a version while it stores its copy: far longer than rendering and storing take.</summary>
    internal static readonly TimeSpan ClaimHold = TimeSpan.FromMinutes(5);

    public static string SeriesInstanceUidFor(string studyInstanceUid) => DicomUidGenerator.FromName("pacs-report-series/" + studyInstanceUid);

    public static string SopInstanceUidFor(string studyInstanceUid, int version) =>
        DicomUidGenerator.FromName($"pacs-report/{studyInstanceUid}/{version}");

    /// <summary>The PDF of a version in <paramref name="language"/>, as exported and archived: a signed version's is signed.</summary>
    public async Task<byte[]> RenderAsync(ReportStudy study, ReportVersion version, string language) =>
        await ReportPdf.RenderAsync(study, version, await SignerNameAsync(version).ConfigureAwait(false), language, options.Value, signer).ConfigureAwait(false);

    /// <summary>The display name of the version's signer (the account's, else the username); empty when unsigned.</summary>
    public async Task<string> SignerNameAsync(ReportVersion version)
    {
        if (version.Signer is not { } username)
        {
            return "";
        }

        var account = await cluster.GetGrain<IUserGrain>(IUserGrain.KeyFor(username)).GetAsync().ConfigureAwait(false);
        return account is { DisplayName.Length: > 0 } ? account.DisplayName : username;
    }

    /// <summary>
    /// Stores the signed PDF of a just-signed <paramref name="version"/> into its study: the archived copy's SOP Instance
    /// UID, or null when it is not in the archive (yet): a failure is logged and the sweep tries again. Never throws for
    /// an unavailable blob store, database or cluster: the report is signed whatever happens here.
    /// </summary>
    public async Task<string?> ArchiveAsync(ReportStudy study, ReportVersion version, string actor, CancellationToken cancellationToken)
    {
        var sop = SopInstanceUidFor(study.StudyInstanceUid, version.Version);
        try
        {
            if (!await copies.ClaimAsync(study.StudyInstanceUid, version.Version, ClaimHold, cancellationToken).ConfigureAwait(false))
            {
                // Archived already, or another gateway is storing it right now.
                return await copies.InstanceExistsAsync(sop, cancellationToken).ConfigureAwait(false) ? sop : null;
            }

            return await StoreClaimedAsync(study, version, actor, cancellationToken).ConfigureAwait(false) ? sop : null;
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            LogArchiveFailed(logger, e, study.StudyInstanceUid, version.Version);
            return null;
        }
    }

    /// <summary>
    /// A version this gateway has claimed: marked archived when its instance is in the index already (stored before a
    /// failure could mark it), else rendered, stored and marked; given back after a refused store. True when archived.
    /// </summary>
    internal async Task<bool> StoreClaimedAsync(ReportStudy study, ReportVersion version, string actor, CancellationToken cancellationToken)
    {
        var sop = SopInstanceUidFor(study.StudyInstanceUid, version.Version);
        if (!await copies.InstanceExistsAsync(sop, cancellationToken).ConfigureAwait(false))
        {
            var pdf = await RenderAsync(study, version, version.Content.Language).ConfigureAwait(false);
            var result = await StoreAsync(study, version, pdf, actor, cancellationToken).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                await copies.ReleaseAsync(study.StudyInstanceUid, version.Version, cancellationToken).ConfigureAwait(false);
                return false;
            }
        }

        await copies.MarkArchivedAsync(study.StudyInstanceUid, version.Version, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>What a failed store may throw besides the ingest funnel's own outcome: a database, cluster or disk down.</summary>
    internal static bool IsUnavailable(Exception e) =>
        e is NpgsqlException or TimeoutException or IOException or InvalidOperationException or Orleans.Runtime.OrleansException;

    private async Task<IngestResult> StoreAsync(ReportStudy study, ReportVersion version, byte[] pdf, string actor, CancellationToken cancellationToken)
    {
        var document = new EncapsulatedPdf
        {
            StudyInstanceUid = study.StudyInstanceUid,
            SeriesInstanceUid = SeriesInstanceUidFor(study.StudyInstanceUid),
            SopInstanceUid = SopInstanceUidFor(study.StudyInstanceUid, version.Version),
            InstanceNumber = version.Version,
            Pdf = pdf,
            DocumentTitle = version.Status == ReportStatus.Amended ? $"Radiology report (amended, version {version.Version})" : "Radiology report",
            ContentDateTime = version.SignedAt ?? DateTimeOffset.UtcNow,
            PatientName = study.PatientName,
            PatientId = study.PatientId,
            IssuerOfPatientId = study.IssuerOfPatientId,
            PatientBirthDate = study.PatientBirthDate,
            PatientSex = study.PatientSex,
            StudyDate = study.StudyDate?.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) ?? "",
            StudyTime = study.StudyTime,
            StudyId = study.StudyId,
            AccessionNumber = study.AccessionNumber,
            ReferringPhysicianName = study.ReferringPhysicianName,
            StudyDescription = study.StudyDescription,
        };
        var bytes = DicomFile.Create(document.ToDataset(), DicomTransferSyntax.ExplicitVRLittleEndian).ToBytes();
        using var stream = new MemoryStream(bytes, writable: false);
        var result = await ingest.StoreAsync(new IngestRequest { Source = "user:" + actor, ExpectedStudyInstanceUid = study.StudyInstanceUid }, stream, cancellationToken)
            .ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            LogNotArchived(logger, study.StudyInstanceUid, version.Version, result.Status, result.ErrorComment);
        }

        return result;
    }

    [LoggerMessage(EventId = 1410, Level = LogLevel.Warning, Message = "The PDF of report version {Version} of study {StudyInstanceUid} was not archived: {Status} {Reason}")]
    private static partial void LogNotArchived(ILogger logger, string studyInstanceUid, int version, IngestStatus status, string? reason);

    [LoggerMessage(EventId = 1454, Level = LogLevel.Warning, Message = "The PDF of report version {Version} of study {StudyInstanceUid} was not archived; the sweep tries again")]
    private static partial void LogArchiveFailed(ILogger logger, Exception exception, string studyInstanceUid, int version);
}
