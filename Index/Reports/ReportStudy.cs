namespace Pacs.Index.Reports;

/// <summary>What a report's header shows of its study and patient, from the index (values as stored, DICOM formats).</summary>
public sealed record ReportStudy
{
    public required string StudyInstanceUid { get; init; }
    public string PatientName { get; init; } = "";
    public string PatientId { get; init; } = "";
    public string IssuerOfPatientId { get; init; } = "";
    public string PatientBirthDate { get; init; } = "";
    public string PatientSex { get; init; } = "";
    public DateOnly? StudyDate { get; init; }
    public string StudyTime { get; init; } = "";
    public string StudyId { get; init; } = "";
    public string StudyDescription { get; init; } = "";
    public string AccessionNumber { get; init; } = "";
    public string ReferringPhysicianName { get; init; } = "";
    public IReadOnlyList<string> Modalities { get; init; } = [];
}
