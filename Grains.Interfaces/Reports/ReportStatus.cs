namespace Pacs.Grains.Reports;

/// <summary>
/// A report's life cycle: draft (editable) → preliminary (optional: read by the clinicians before the final report,
/// still editable by doctors) → final (signed by a doctor, immutable) → amended (a new signed version that
/// references the one before it, with a reason; every earlier version is kept). "none" is a study without a report.
/// </summary>
public static class ReportStatus
{
    public const string None = "none";
    public const string Draft = "draft";
    public const string Preliminary = "preliminary";
    public const string Final = "final";
    public const string Amended = "amended";

    public static IReadOnlyList<string> All { get; } = [None, Draft, Preliminary, Final, Amended];

    public static bool IsSigned(string status) => status is Final or Amended;

    /// <summary>A version doctors may still edit and sign: a draft or a preliminary report.</summary>
    public static bool IsEditable(string status) => status is Draft or Preliminary;
}
