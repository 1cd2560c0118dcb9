using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace Pacs.Dicom.Dictionary;

/// <summary>
/// The public data dictionary of PS3.6 (with DICOS and DICONDE attributes), generated from dcmtk's dicom.dic by
/// generate.py into DicomDictionary.g.cs. Lookups by tag try the exact entries first (binary search), then the
/// rules of PS3.5 (group length, private creator), then the repeating groups and element ranges.
/// Private data elements other than creators are not described here (they are UN unless a private dictionary
/// says otherwise).
/// </summary>
public static partial class DicomDictionary
{
    /// <summary>
    /// Stands for every (gggg,0000) group length without an entry of its own (PS3.5 7.2; retired outside the
    /// command and file meta groups, which have their own exact entries).
    /// </summary>
    public static DicomDictionaryEntry GroupLength { get; } =
        new(new DicomTag(0x00000000u), 0x0000FFFFu, "GroupLength", "Group Length", [DicomVR.UL], "1", true);

    /// <summary>
    /// Stands for every private creator (gggg,0010-00FF) of an odd group above 0007 (PS3.5 7.8.1). A mask cannot
    /// express that range: 0x0001FF00 says "odd group, element 00xx", and the lookup also checks the element
    /// is at least 0010.
    /// </summary>
    public static DicomDictionaryEntry PrivateCreator { get; } =
        new(new DicomTag(0x00090010u), 0x0001FF00u, "PrivateCreator", "Private Creator", [DicomVR.LO], "1", false);

    /// <summary>All exact entries in tag order, then the masked ones (repeating groups, element ranges).</summary>
    public static IReadOnlyList<DicomDictionaryEntry> Entries => Store.AllReadOnly;

    /// <summary>Finds the dictionary entry of <paramref name="tag"/>.</summary>
    public static bool TryGetEntry(DicomTag tag, [MaybeNullWhen(false)] out DicomDictionaryEntry entry)
    {
        var index = FindExact(tag.Value);
        if (index >= 0)
        {
            entry = Store.Exact[index];
            return true;
        }
        if (tag.IsGroupLength)
        {
            entry = GroupLength;
            return true;
        }
        if (tag.IsPrivate)
        {
            // Repeating groups are even (PS3.5 7.6), so an odd group never matches them.
            entry = tag.IsPrivateCreator ? PrivateCreator : null;
            return entry is not null;
        }
        index = FindMasked(tag.Value);
        if (index >= 0)
        {
            entry = Store.Masked[index];
            return true;
        }
        entry = null;
        return false;
    }

    /// <summary>Finds the entry of a PS3.6 keyword ("PatientName", "OverlayData"). Case-sensitive, as keywords are.</summary>
    public static bool TryGetEntry(string keyword, [MaybeNullWhen(false)] out DicomDictionaryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        return KeywordIndex.ByKeyword.TryGetValue(keyword, out entry);
    }

    /// <summary>
    /// The VR to use for <paramref name="tag"/> in implicit VR encodings: the entry's VR; for entries with a choice
    /// the one PS3.5 Annex A.1 implies for implicit VR little endian (OW for "OB or OW" pixel, overlay, curve and
    /// waveform data; US for "US or SS" and "US or OW"); UL for group lengths, LO for private creators; UN when the
    /// tag is unknown (including private data elements, Item and the delimitation items).
    /// Reads constant data only: no allocation, no entry objects built.
    /// </summary>
    public static DicomVR GetDefaultVR(DicomTag tag)
    {
        var index = FindExact(tag.Value);
        if (index >= 0)
        {
            return new DicomVR(_exactDefaultVRs[index]);
        }

        if (tag.IsGroupLength)
        {
            return DicomVR.UL;
        }

        if (tag.IsPrivate)
        {
            return tag.IsPrivateCreator ? DicomVR.LO : DicomVR.UN;
        }

        index = FindMasked(tag.Value);
        return index >= 0 ? new DicomVR(_maskedDefaultVRs[index]) : DicomVR.UN;
    }

    /// <summary>The PS3.6 keyword of <paramref name="tag"/>, or null when the tag is not in the dictionary.</summary>
    public static string? GetKeyword(DicomTag tag) => TryGetEntry(tag, out var entry) ? entry.Keyword : null;

    /// <summary>The PS3.6 name of <paramref name="tag"/>, or null when the tag is not in the dictionary.</summary>
    public static string? GetName(DicomTag tag) => TryGetEntry(tag, out var entry) ? entry.Name : null;

    // Hand-written: MemoryExtensions.BinarySearch(span, value) takes an IComparable<T> and would box the uint.
    private static int FindExact(uint tag)
    {
        var tags = _exactTags;
        int lo = 0, hi = tags.Length - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var value = tags[mid];
            if (value == tag)
            {
                return mid;
            }

            if (value < tag)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return -1;
    }

    private static int FindMasked(uint tag)
    {
        // Masks are ordered most specific first by the generator; fewer than a hundred entries, all retired or
        // overlay/curve groups, so a linear scan is cheaper than anything cleverer.
        var tags = _maskedTags;
        var masks = _maskedMasks;
        for (var i = 0; i < tags.Length; i++)
        {
            if ((tag & masks[i]) == (tags[i] & masks[i]))
            {
                return i;
            }
        }
        return -1;
    }

    // Built on first use of an entry lookup; GetDefaultVR never touches it.
    private static class Store
    {
        internal static readonly DicomDictionaryEntry[] All = Build();
        internal static readonly ArraySegment<DicomDictionaryEntry> Exact = new(All, 0, _exactTags.Length);
        internal static readonly ArraySegment<DicomDictionaryEntry> Masked = new(All, _exactTags.Length, _maskedTags.Length);
        internal static readonly IReadOnlyList<DicomDictionaryEntry> AllReadOnly = Array.AsReadOnly(All);

        private static DicomDictionaryEntry[] Build()
        {
            // TrimEntries also drops a '\r' should a checkout turn the literal's line ends into CRLF.
            var keywords = GeneratedData.Keywords.Split('\n', StringSplitOptions.TrimEntries);
            var names = GeneratedData.Names.Split('\n', StringSplitOptions.TrimEntries);
            var count = _exactTags.Length + _maskedTags.Length;
            if (keywords.Length != count || names.Length != count)
            {
                throw new InvalidOperationException("DicomDictionary.g.cs is inconsistent: regenerate it with generate.py.");
            }

            var entries = new DicomDictionaryEntry[count];
            for (var i = 0; i < count; i++)
            {
                var exact = i < _exactTags.Length;
                var tag = exact ? _exactTags[i] : _maskedTags[i - _exactTags.Length];
                var mask = exact ? 0xFFFFFFFFu : _maskedMasks[i - _exactTags.Length];
                entries[i] = new DicomDictionaryEntry(
                    new DicomTag(tag),
                    mask,
                    keywords[i],
                    names[i],
                    GeneratedData.VRLists[GeneratedData.VRListIndex[i]],
                    GeneratedData.VMs[GeneratedData.VMIndex[i]],
                    GeneratedData.IsRetired[i]);
            }
            return entries;
        }
    }

    private static class KeywordIndex
    {
        internal static readonly FrozenDictionary<string, DicomDictionaryEntry> ByKeyword =
            Store.All.ToFrozenDictionary(e => e.Keyword, StringComparer.Ordinal);
    }
}
