namespace Pacs.Gateway.Reports;

/// <summary>Section "Pacs:Reports": what the report's header says about the clinic.</summary>
public sealed class ReportOptions
{
    public const string Section = "Pacs:Reports";

    public string Institution { get; set; } = "Clinton PACS";

    public string Address { get; set; } = "";
}
