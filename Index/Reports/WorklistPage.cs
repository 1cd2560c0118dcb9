namespace Pacs.Index.Reports;

public sealed record WorklistPage(long Total, IReadOnlyList<WorklistItem> Items);
