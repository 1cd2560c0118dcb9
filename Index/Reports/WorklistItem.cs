namespace Pacs.Index.Reports;

/// <summary>One study of the reporting worklist with its report status.</summary>
public sealed record WorklistItem
{
    public required string StudyInstanceUid { get; init; }
    public DateOnly? StudyDate { get; init; }
    public string StudyDescription { get; init; } = "";
    public string AccessionNumber { get; init; } = "";
    public IReadOnlyList<string> Modalities { get; init; } = [];
    public string PatientName { get; init; } = "";
    public string PatientId { get; init; } = "";
    public required string ReportStatus { get; init; }
    public int? ReportVersion { get; init; }
    public string? Author { get; init; }
    public string? Signer { get; init; }
    public DateTimeOffset? SignedAt { get; init; }
    public DateTimeOffset? ReportUpdatedAt { get; init; }
    /// <summary>routine, urgent or stat (Pacs.Grains.Reports.ReportPriority); routine for a study without a report.</summary>
    public string Priority { get; init; } = "routine";
    /// <summary>The report is flagged as holding a critical finding.</summary>
    public bool Critical { get; init; }
}
