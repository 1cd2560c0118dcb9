namespace Pacs.Gateway.Audit;

/// <summary>Pacs:Audit: the gateway's audit writer (docs/operations.md, "Audit trail").</summary>
public sealed class AuditOptions
{
    public const string Section = "Pacs:Audit";

    /// <summary>Records waiting to be written; past it new records are dropped, counted and logged at Warning.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>At most this many records per INSERT.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10_000)]
    public int BatchSize { get; set; } = 1_000;

    /// <summary>
    /// How long the writer lets records gather after the first one of a batch arrives (unless a whole batch is queued):
    /// one INSERT, one transaction and one WAL flush per interval instead of one per record or two under steady load
    /// (a C-STORE is one record). Zero writes at once.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}
