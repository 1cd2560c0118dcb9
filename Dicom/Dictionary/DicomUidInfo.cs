namespace Pacs.Dicom;

/// <summary>One row of the UID registry (PS3.6 Table A-1).</summary>
/// <param name="Uid">The UID, e.g. "1.2.840.10008.5.1.4.1.1.2".</param>
/// <param name="Name">Its name, e.g. "CT Image Storage".</param>
/// <param name="Keyword">Its PS3.6 keyword, e.g. "CTImageStorage"; empty for a few retired UIDs that have none.</param>
/// <param name="Type">"SOP Class", "Transfer Syntax", "Meta SOP Class", "Well-known SOP Instance", ...</param>
/// <param name="IsRetired">True when PS3.6 marks the UID retired.</param>
public sealed record DicomUidInfo(string Uid, string Name, string Keyword, string Type, bool IsRetired);
