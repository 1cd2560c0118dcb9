namespace Pacs.Index.Reports;

/// <summary>Filters and page of GET /api/worklist; null leaves a filter out.</summary>
public sealed record WorklistQuery
{
    public const string Open = "open";

    /// <summary>A report status, or <see cref="Open"/>: no report, a draft or a preliminary report (what is left to sign).</summary>
    public string? Status { get; init; }

    /// <summary>The studies whose access groups meet these; null: every study (admins, accounts holding "*").</summary>
    public IReadOnlyList<string>? AccessGroups { get; init; }
    public DateOnly? From { get; init; }
    public DateOnly? To { get; init; }
    public string? Modality { get; init; }
    /// <summary>routine, urgent or stat.</summary>
    public string? Priority { get; init; }
    public int Offset { get; init; }
    public int Limit { get; init; } = 50;
}
