using System.Collections.Frozen;

namespace Pacs.Dicom.Query;

/// <summary>The one place the query code asks the data dictionary for keywords and VRs.</summary>
internal static class QueryDictionary
{
    private static readonly FrozenDictionary<string, (DicomTag Tag, DicomVR VR)> ByKeyword =
        TemporaryKeywords.Entries.ToFrozenDictionary(e => e.Keyword, e => (new DicomTag(e.Tag), DicomVR.Parse(e.VR)), StringComparer.Ordinal);

    private static readonly FrozenDictionary<uint, DicomVR> ByTag =
        TemporaryKeywords.Entries.ToFrozenDictionary(e => e.Tag, e => DicomVR.Parse(e.VR));

    public static bool TryGetByKeyword(string keyword, out DicomTag tag, out DicomVR vr)
    {
        if (ByKeyword.TryGetValue(keyword, out var entry))
        {
            (tag, vr) = entry;
            return true;
        }
        tag = default;
        vr = default;
        return false;
    }

    /// <summary>The dictionary VR of <paramref name="tag"/>, or UN when unknown.</summary>
    public static DicomVR GetVR(DicomTag tag)
    {
        if (ByTag.TryGetValue(tag.Value, out var vr)) return vr;
        var fallback = Pacs.Dicom.Dictionary.DicomDictionary.GetDefaultVR(tag);
        return fallback;
    }

    /// <summary>The VR to use for a key read from the wire: its own if explicit and known, else the dictionary's.</summary>
    public static DicomVR ResolveVR(DicomTag tag, DicomVR wireVR) =>
        wireVR.IsKnown && wireVR != DicomVR.UN ? wireVR : GetVR(tag);
}
