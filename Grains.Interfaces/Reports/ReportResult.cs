namespace Pacs.Grains.Reports;

/// <summary>The outcome of a report change: the state after it, or why it was refused (with the state as it is).</summary>
[GenerateSerializer, Immutable]
[Alias("pacs.ReportResult")]
public sealed record ReportResult
{
    [Id(0)] public ReportError Error { get; init; }
    [Id(1)] public string Detail { get; init; } = "";
    [Id(2)] public required ReportState State { get; init; }
    /// <summary>With <see cref="ReportError.Locked"/>: the lock held by someone else.</summary>
    [Id(3)] public ReportLock? Lock { get; init; }

    public bool Succeeded => Error == ReportError.None;

    public static ReportResult Ok(ReportState state) => new() { State = state };

    public static ReportResult Fail(ReportError error, string detail, ReportState state) => new() { Error = error, Detail = detail, State = state };
}
