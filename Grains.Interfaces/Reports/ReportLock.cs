namespace Pacs.Grains.Reports;

/// <summary>
/// The advisory editing lock of a report: who is editing it since when, until <see cref="Expires"/> unless the holder
/// renews it (the panel does with each autosave and a heartbeat; the lifetime is the silo's
/// Pacs:Reports:EditingLockLifetime, 2 min by default). Held in the report grain's memory only: when the silo holding
/// the grain is lost, the lock is simply gone (it is advice; the ETag still guards every write).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("pacs.ReportLock")]
public sealed record ReportLock
{
    /// <summary>The username of the holder.</summary>
    [Id(0)] public required string Holder { get; init; }
    /// <summary>The holder's display name, as the panel shows it ("being edited by Dr X since 10:42").</summary>
    [Id(1)] public required string HolderName { get; init; }
    [Id(2)] public DateTimeOffset Since { get; init; }
    [Id(3)] public DateTimeOffset Expires { get; init; }

    public bool IsHeldBy(string user) => string.Equals(Holder, user, StringComparison.Ordinal);
}
