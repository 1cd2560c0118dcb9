namespace Pacs.Grains.Reports;

/// <summary>
/// The priority of the study being reported, as the worklist orders it: stat before urgent before routine (critical
/// findings head all three). The words of DICOM's Requested Procedure Priority (PS3.3 C.4.11: STAT, HIGH, ROUTINE, …)
/// narrowed to the three a reading room uses.
/// </summary>
public static class ReportPriority
{
    public const string Routine = "routine";
    public const string Urgent = "urgent";
    public const string Stat = "stat";

    public static IReadOnlyList<string> All { get; } = [Routine, Urgent, Stat];

    public static bool IsValid(string? priority) => priority is Routine or Urgent or Stat;
}
