using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Text;
using Pacs.Dicom.Text;

namespace Pacs.Dicom;

/// <summary>
/// A data set (PS3.5 7): elements kept in ascending tag order, as the standard requires on the wire.
/// Readers append in order (cheap); random inserts use binary search.
/// </summary>
public sealed class DicomDataset : IEnumerable<DicomElement>
{
    private readonly List<DicomElement> _elements;
    private DicomCharacterSet? _characterSet;

    public DicomDataset() => _elements = [];
    public DicomDataset(int capacity) => _elements = new List<DicomElement>(capacity);

    public int Count => _elements.Count;

    /// <summary>
    /// The character set inherited from the enclosing data set; a sequence item that declares its own
    /// Specific Character Set overrides it (PS3.5 6.1.2.3, note on sequences).
    /// </summary>
    public DicomCharacterSet? InheritedCharacterSet { get; set; }

    /// <summary>The character set in force for this data set's string values.</summary>
    public DicomCharacterSet CharacterSet
    {
        get
        {
            if (_characterSet is not null)
            {
                return _characterSet;
            }

            if (TryGetElement(DicomTag.SpecificCharacterSet, out var e) && e.Value.Length > 0)
            {
                return _characterSet = DicomCharacterSet.FromSpecificCharacterSet(Encoding.ASCII.GetString(e.Value.Span));
            }

            return InheritedCharacterSet ?? DicomCharacterSet.Default;
        }
    }

    public DicomElement this[int index] => _elements[index];

    public bool Contains(DicomTag tag) => IndexOf(tag) >= 0;

    public bool TryGetElement(DicomTag tag, out DicomElement element)
    {
        var i = IndexOf(tag);
        if (i >= 0)
        {
            element = _elements[i];
            return true;
        }
        element = default;
        return false;
    }

    /// <summary>Adds or replaces the element with the same tag, keeping tag order.</summary>
    public void Set(DicomElement element)
    {
        if (element.Tag == DicomTag.SpecificCharacterSet)
        {
            _characterSet = null;
        }

        var n = _elements.Count;
        if (n == 0 || _elements[n - 1].Tag < element.Tag)
        {
            _elements.Add(element);
            return;
        }
        var i = IndexOf(element.Tag);
        if (i >= 0)
        {
            _elements[i] = element;
        }
        else
        {
            _elements.Insert(~i, element);
        }
    }

    public void Set(DicomTag tag, DicomVR vr, ReadOnlyMemory<byte> value) => Set(new DicomElement(tag, vr, value));

    public void Set(DicomTag tag, DicomSequence sequence)
    {
        foreach (var item in sequence.Items)
        {
            item.InheritedCharacterSet = CharacterSet;
        }

        Set(new DicomElement(tag, sequence));
    }

    /// <summary>Encodes <paramref name="value"/> with this data set's character set, padded to even length.</summary>
    public void SetString(DicomTag tag, DicomVR vr, string value)
    {
        var bytes = vr.UsesSpecificCharacterSet ? CharacterSet.Encode(value, vr) : Encoding.ASCII.GetBytes(value);
        Set(new DicomElement(tag, vr, Pad(bytes, vr)));
    }

    public void SetStrings(DicomTag tag, DicomVR vr, IEnumerable<string> values) => SetString(tag, vr, string.Join('\\', values));

    public void SetUInt16(DicomTag tag, DicomVR vr, params ReadOnlySpan<ushort> values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), values[i]);
        }

        Set(new DicomElement(tag, vr, bytes));
    }

    public void SetUInt32(DicomTag tag, DicomVR vr, params ReadOnlySpan<uint> values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        Set(new DicomElement(tag, vr, bytes));
    }

    public bool Remove(DicomTag tag)
    {
        var i = IndexOf(tag);
        if (i < 0)
        {
            return false;
        }

        _elements.RemoveAt(i);
        if (tag == DicomTag.SpecificCharacterSet)
        {
            _characterSet = null;
        }

        return true;
    }

    /// <summary>Removes every element in [first, last].</summary>
    public void RemoveRange(DicomTag first, DicomTag last) => _elements.RemoveAll(e => e.Tag >= first && e.Tag <= last);

    /// <summary>The whole value as text, decoded with the character set, trailing padding removed; null when absent.</summary>
    public string? GetString(DicomTag tag)
    {
        if (!TryGetElement(tag, out var e) || e.Payload is not null)
        {
            return null;
        }

        return DecodeString(e);
    }

    /// <summary>The values of a multi-valued string element (split on backslash, PS3.5 6.4), trimmed per VR.</summary>
    public string[] GetStrings(DicomTag tag)
    {
        var s = GetString(tag);
        if (string.IsNullOrEmpty(s))
        {
            return [];
        }

        if (TryGetElement(tag, out var e) && e.VR.IsSingleValueText)
        {
            return [s];
        }

        var parts = s.Split('\\');
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = TrimValue(parts[i], e.VR);
        }

        return parts;
    }

    public string DecodeString(in DicomElement e)
    {
        var span = e.Value.Span;
        var text = e.VR.UsesSpecificCharacterSet ? CharacterSet.Decode(span, e.VR) : Latin1(span);
        return TrimValue(text, e.VR);
    }

    public ushort? GetUInt16(DicomTag tag, int index = 0) =>
        TryGetElement(tag, out var e) && e.Value.Length >= (index + 1) * 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(e.Value.Span[(index * 2)..]) : null;

    public uint? GetUInt32(DicomTag tag, int index = 0) =>
        TryGetElement(tag, out var e) && e.Value.Length >= (index + 1) * 4
            ? BinaryPrimitives.ReadUInt32LittleEndian(e.Value.Span[(index * 4)..]) : null;

    /// <summary>An IS value or a binary integer (US, SS, UL, SL), whichever the element holds.</summary>
    public int? GetInt32(DicomTag tag)
    {
        if (!TryGetElement(tag, out var e))
        {
            return null;
        }

        var span = e.Value.Span;
        if (e.VR == DicomVR.US && span.Length >= 2)
        {
            return BinaryPrimitives.ReadUInt16LittleEndian(span);
        }

        if (e.VR == DicomVR.SS && span.Length >= 2)
        {
            return BinaryPrimitives.ReadInt16LittleEndian(span);
        }

        if (e.VR == DicomVR.UL && span.Length >= 4)
        {
            return (int)BinaryPrimitives.ReadUInt32LittleEndian(span);
        }

        if (e.VR == DicomVR.SL && span.Length >= 4)
        {
            return BinaryPrimitives.ReadInt32LittleEndian(span);
        }

        var s = GetStrings(tag);
        return s.Length > 0 && int.TryParse(s[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    public DicomSequence? GetSequence(DicomTag tag) => TryGetElement(tag, out var e) ? e.Sequence : null;

    /// <summary>A shallow copy: element values are shared (they are immutable memory), sequences are cloned deeply.</summary>
    public DicomDataset Clone()
    {
        var copy = new DicomDataset(_elements.Count) { InheritedCharacterSet = InheritedCharacterSet };
        foreach (var e in _elements)
        {
            if (e.Sequence is { } sq)
            {
                var items = new List<DicomDataset>(sq.Items.Count);
                foreach (var item in sq.Items)
                {
                    items.Add(item.Clone());
                }

                copy._elements.Add(new DicomElement(e.Tag, new DicomSequence(items) { UndefinedLength = sq.UndefinedLength }));
            }
            else
            {
                copy._elements.Add(e);
            }
        }
        return copy;
    }

    public List<DicomElement>.Enumerator GetEnumerator() => _elements.GetEnumerator();
    IEnumerator<DicomElement> IEnumerable<DicomElement>.GetEnumerator() => _elements.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _elements.GetEnumerator();

    /// <summary>Appends without order check: for readers that already enforce ascending order.</summary>
    internal void AddInOrder(in DicomElement element) => _elements.Add(element);

    internal DicomElement LastOrDefault() => _elements.Count > 0 ? _elements[^1] : default;

    private int IndexOf(DicomTag tag)
    {
        int lo = 0, hi = _elements.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var t = _elements[mid].Tag.Value;
            if (t == tag.Value)
            {
                return mid;
            }

            if (t < tag.Value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return ~lo;
    }

    private static string Latin1(ReadOnlySpan<byte> span) => Encoding.Latin1.GetString(span);

    /// <summary>
    /// Removes padding per VR (PS3.5 6.2): trailing spaces (and NUL) for text; leading spaces too for the VRs where
    /// they are insignificant (AE, CS, DS, IS, and the date/time VRs); trailing NUL for UI.
    /// </summary>
    internal static string TrimValue(string s, DicomVR vr)
    {
        if (vr == DicomVR.UI)
        {
            return s.TrimEnd('\0', ' ');
        }

        if (vr == DicomVR.AE || vr == DicomVR.CS || vr == DicomVR.DS || vr == DicomVR.IS || vr == DicomVR.DA
            || vr == DicomVR.DT || vr == DicomVR.TM || vr == DicomVR.AS || vr == DicomVR.SH || vr == DicomVR.LO
            || vr == DicomVR.PN)
        {
            return vr == DicomVR.SH || vr == DicomVR.LO || vr == DicomVR.PN ? s.TrimEnd(' ', '\0').TrimStart(' ') : s.Trim(' ', '\0');
        }

        return s.TrimEnd(' ', '\0');
    }

    internal static ReadOnlyMemory<byte> Pad(byte[] bytes, DicomVR vr)
    {
        if ((bytes.Length & 1) == 0)
        {
            return bytes;
        }

        var padded = new byte[bytes.Length + 1];
        bytes.CopyTo(padded, 0);
        padded[^1] = vr.PaddingByte;
        return padded;
    }
}
