using Pacs.Dicom;
using Pacs.Dicom.Documents;
using Pacs.Gateway.Ingest;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;

namespace Pacs.Gateway.Reports;

/// <summary>
/// Stores a signed report version back into its study as an Encapsulated PDF instance (PS3.3 A.45.1) through the one
/// ingest funnel, as STOW-RS and C-STORE do. All versions go to one "Report" series (Modality DOC) whose UID is
/// derived from the study's, one instance per version (its UID derived from study and version: storing it again
/// is a duplicate, not a second copy).
/// </summary>
internal sealed partial class ReportArchive(IngestService ingest, ILogger<ReportArchive> logger)
{
    public static string SeriesInstanceUidFor(string studyInstanceUid) => DicomUidGenerator.FromName("pacs-report-series/" + studyInstanceUid);

    public static string SopInstanceUidFor(string studyInstanceUid, int version) =>
        DicomUidGenerator.FromName($"pacs-report/{studyInstanceUid}/{version}");

    public async Task<IngestResult> StoreAsync(ReportStudy study, ReportVersion version, byte[] pdf, string actor, CancellationToken cancellationToken)
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
}
