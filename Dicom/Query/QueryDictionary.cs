using Pacs.Dicom.Dictionary;

namespace Pacs.Dicom.Query;

/// <summary>The one place the query code asks the data dictionary for keywords and VRs.</summary>
internal static class QueryDictionary
{
    public static bool TryGetByKeyword(string keyword, out DicomTag tag, out DicomVR vr)
    {
        // Repeating-group entries (60xx...) are not query keys: only exact tags are accepted by keyword.
        if (DicomDictionary.TryGetEntry(keyword, out var entry) && entry.Mask == 0xFFFFFFFFu)
        {
            tag = entry.Tag;
            vr = DicomDictionary.GetDefaultVR(tag);
            return true;
        }
        tag = default;
        vr = default;
        return false;
    }

    /// <summary>The dictionary VR of <paramref name="tag"/>, or UN when unknown.</summary>
    public static DicomVR GetVR(DicomTag tag) => DicomDictionary.GetDefaultVR(tag);

    /// <summary>The VR to use for a key read from the wire: its own if explicit and known, else the dictionary's.</summary>
    public static DicomVR ResolveVR(DicomTag tag, DicomVR wireVR) =>
        wireVR.IsKnown && wireVR != DicomVR.UN ? wireVR : GetVR(tag);
}
