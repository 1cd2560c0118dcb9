namespace Pacs.Grains.Reports;

/// <summary>One version of a study's report. Version 1 starts as a draft; a signed version never changes again.</summary>
[GenerateSerializer, Immutable]
[Alias("pacs.ReportVersion")]
public sealed record ReportVersion
{
    [Id(0)] public required string StudyInstanceUid { get; init; }
    [Id(1)] public required int Version { get; init; }
    [Id(2)] public required string Status { get; init; }
    [Id(3)] public required ReportContent Content { get; init; }
    /// <summary>Why this version amends the one before it (empty for version 1).</summary>
    [Id(4)] public string AmendmentReason { get; init; } = "";
    [Id(5)] public required string Author { get; init; }
    [Id(6)] public string? Signer { get; init; }
    [Id(7)] public DateTimeOffset CreatedAt { get; init; }
    [Id(8)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(9)] public DateTimeOffset? SignedAt { get; init; }
}
