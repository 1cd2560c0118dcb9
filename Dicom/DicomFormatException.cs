namespace Pacs.Dicom;

/// <summary>
/// The one exception for structurally bad DICOM: truncated value, impossible length, nesting past the bound.
/// Value-level problems are warnings (see <see cref="IO.DicomReadWarning"/>), never this.
/// Carries where it happened so the edge can map it to a DIMSE status or a DICOMweb failure reason.
/// </summary>
public sealed class DicomFormatException : Exception
{
    public DicomFormatException(string reason, long offset, DicomTag tag = default, Exception? inner = null)
        : base($"{reason} at byte {offset}{(tag.Value != 0 ? $" in {tag}" : "")}", inner)
    {
        Reason = reason;
        Offset = offset;
        Tag = tag;
    }

    public string Reason { get; }
    public long Offset { get; }
    public DicomTag Tag { get; }
}
