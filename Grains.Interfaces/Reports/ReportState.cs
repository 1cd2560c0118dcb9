namespace Pacs.Grains.Reports;

/// <summary>A study's report as the API shows it: the current version (null: no report yet) and its entity tag.</summary>
[GenerateSerializer, Immutable]
[Alias("pacs.ReportState")]
public sealed record ReportState
{
    [Id(0)] public ReportVersion? Current { get; init; }
    /// <summary>Bumped by every write of the report; with the version it makes the ETag.</summary>
    [Id(1)] public int Revision { get; init; }
    /// <summary>The critical-finding notifications recorded for the report, oldest first (they do not change the ETag).</summary>
    [Id(2)] public IReadOnlyList<CriticalNotification> Notifications { get; init; } = [];

    public string Status => Current?.Status ?? ReportStatus.None;

    /// <summary>The strong entity tag (RFC 9110 8.8.3) an If-Match must repeat: "v0.0" before the first draft.</summary>
    public string ETag => $"\"v{Current?.Version ?? 0}.{Revision}\"";
}
