namespace Pacs.Index.Reports;

/// <summary>Filters and page of GET /api/worklist; null leaves a filter out.</summary>
public sealed record WorklistQuery
{
    public string? Status { get; init; }
    public DateOnly? From { get; init; }
    public DateOnly? To { get; init; }
    public string? Modality { get; init; }
    public int Offset { get; init; }
    public int Limit { get; init; } = 50;

    /// <summary>Only studies sharing one of these access groups (in the statement, as QIDO-RS); null: every study.</summary>
    public IReadOnlyList<string>? AccessGroups { get; init; }
}
