namespace Pacs.Grains.Reports;

/// <summary>Settings of the report grains (section "Pacs:Reports", beside the gateway's report settings).</summary>
public sealed class ReportGrainOptions
{
    public const string Section = "Pacs:Reports";

    /// <summary>
    /// How long the advisory editing lock lasts without renewal (the panel renews it with every autosave and a
    /// heartbeat of a quarter of this, at most every 30 s): with the default of two minutes, a closed tab's lock is
    /// free after four missed heartbeats.
    /// </summary>
    public TimeSpan EditingLockLifetime { get; set; } = TimeSpan.FromMinutes(2);
}
