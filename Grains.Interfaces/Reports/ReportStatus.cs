namespace Pacs.Grains.Reports;

/// <summary>
/// A report's life cycle: draft (editable) → final (signed by a doctor, immutable) → amended (a new signed version that
/// references the one before it, with a reason; every earlier version is kept). "none" is a study without a report.
/// </summary>
public static class ReportStatus
{
    public const string None = "none";
    public const string Draft = "draft";
    public const string Final = "final";
    public const string Amended = "amended";

    public static IReadOnlyList<string> All { get; } = [None, Draft, Final, Amended];

    public static bool IsSigned(string status) => status is Final or Amended;
}
