namespace Pacs.Gateway.Reports;

/// <summary>Section "Pacs:Reports:Archive": the sweep that stores the archived copies a failure left missing.</summary>
public sealed class ReportArchiveOptions
{
    public const string Section = "Pacs:Reports:Archive";

    /// <summary>How often each gateway looks for signed versions without an archived copy; zero turns its sweep off.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromMinutes(1);
}
