namespace Pacs.Index.Reports;

/// <summary>What a change of a report macro came to (<see cref="ReportMacroStore"/>).</summary>
public enum ReportMacroWrite
{
    Done,
    /// <summary>No macro of that id with that owner.</summary>
    NotFound,
    /// <summary>The owner has another macro of that name in that language.</summary>
    NameTaken,
}
