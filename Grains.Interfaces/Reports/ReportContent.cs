namespace Pacs.Grains.Reports;

/// <summary>
/// The text of a report version as a doctor writes it, in the six sections of a radiology report: clinical information,
/// technique, comparison, findings, impression (conclusion), recommendations.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("pacs.ReportContent")]
public sealed record ReportContent
{
    /// <summary>Longest text of one field, in characters (a long report is a few thousand).</summary>
    public const int MaximumFieldLength = 32_000;

    [Id(0)] public string Language { get; init; } = Accounts.Languages.Default;
    [Id(1)] public string Technique { get; init; } = "";
    [Id(2)] public string Comparison { get; init; } = "";
    [Id(3)] public string Findings { get; init; } = "";
    /// <summary>The impression (conclusion).</summary>
    [Id(4)] public string Impression { get; init; } = "";
    /// <summary>The clinical information (indication, question of the referring physician).</summary>
    [Id(5)] public string ClinicalInformation { get; init; } = "";
    [Id(6)] public string Recommendations { get; init; } = "";
    /// <summary>The study's priority (<see cref="ReportPriority"/>).</summary>
    [Id(7)] public string Priority { get; init; } = ReportPriority.Routine;
    /// <summary>A critical finding: the report cannot be signed until its communication is recorded.</summary>
    [Id(8)] public bool Critical { get; init; }

    /// <summary>Why the content is not acceptable, or null.</summary>
    public string? Check()
    {
        if (!Accounts.Languages.IsValid(Language))
        {
            return $"language must be one of {string.Join(", ", Accounts.Languages.All)}.";
        }

        if (!ReportPriority.IsValid(Priority))
        {
            return $"priority must be one of {string.Join(", ", ReportPriority.All)}.";
        }

        return ClinicalInformation.Length > MaximumFieldLength || Technique.Length > MaximumFieldLength
            || Comparison.Length > MaximumFieldLength || Findings.Length > MaximumFieldLength
            || Impression.Length > MaximumFieldLength || Recommendations.Length > MaximumFieldLength
            ? $"Each text field holds at most {MaximumFieldLength} characters."
            : null;
    }
}
