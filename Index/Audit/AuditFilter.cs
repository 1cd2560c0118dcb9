namespace Pacs.Index.Audit;

/// <summary>What GET /api/audit may filter on; every field optional. <see cref="Before"/> is the keyset cursor (an event key).</summary>
public sealed record AuditFilter
{
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public string? Actor { get; init; }
    public string? Action { get; init; }
    public string? PatientId { get; init; }
    public string? StudyInstanceUid { get; init; }
    public string? Outcome { get; init; }

    /// <summary>Only rows older than this event key (the previous page's last key): newest first, stable under inserts.</summary>
    public long? Before { get; init; }

    public int Limit { get; init; } = 100;
}
