namespace Pacs.Index.Reports;

/// <summary>
/// One page of the worklist. <paramref name="Total"/>: the matching studies, exact when <paramref name="TotalExact"/>;
/// otherwise more than that many match (the count stops at WorklistStatement.CountLimit, or at the end of the page).
/// </summary>
public sealed record WorklistPage(long Total, bool TotalExact, IReadOnlyList<WorklistItem> Items);
