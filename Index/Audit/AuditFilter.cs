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

    /// <summary>
    /// Only rows after this row (the previous page's last event key) in the order of the answer: newest first by time
    /// (occurred_at, then event key). New rows are newer than any page already read, so paging is stable under inserts.
    /// </summary>
    public long? Before { get; init; }

    public int Limit { get; init; } = 100;
}
