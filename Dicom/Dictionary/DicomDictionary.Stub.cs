namespace Pacs.Dicom.Dictionary;

// TEMPORARY: replaced by the generated dictionary (delete this file when the generator lands).
public static partial class DicomDictionary
{
    /// <summary>The VR to use for <paramref name="tag"/> in implicit VR encodings (first VR of the entry; UN if unknown).</summary>
    public static DicomVR GetDefaultVR(DicomTag tag)
    {
        if (tag.Element == 0) return DicomVR.UL;
        if (tag.IsPrivateCreator) return DicomVR.LO;
        return tag.Value switch
        {
            0x00020001 => DicomVR.OB,
            0x00020002 or 0x00020003 or 0x00020010 or 0x00020012 or 0x00080016 or 0x00080018 or 0x0020000D or 0x0020000E => DicomVR.UI,
            0x00020013 => DicomVR.SH,
            0x00020016 => DicomVR.AE,
            0x00080005 => DicomVR.CS,
            0x00100010 => DicomVR.PN,
            0x00100020 => DicomVR.LO,
            0x7FE00010 => DicomVR.OW,
            _ => DicomVR.UN,
        };
    }
}

public static partial class DicomDictionary
{
    public static string? GetKeyword(DicomTag tag) => null;
}
