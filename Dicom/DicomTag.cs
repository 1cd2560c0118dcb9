using System.Globalization;

namespace Pacs.Dicom;

/// <summary>A data element tag (group, element), PS3.5 7.1. Ordered as the standard orders elements in a data set.</summary>
public readonly partial record struct DicomTag(uint Value) : IComparable<DicomTag>
{
    public DicomTag(ushort group, ushort element) : this(((uint)group << 16) | element) { }

    public ushort Group => (ushort)(Value >> 16);
    public ushort Element => (ushort)Value;

    /// <summary>Odd groups other than 0001, 0003, 0005, 0007 and FFFF are private (PS3.5 7.8.1).</summary>
    public bool IsPrivate => (Group & 1) == 1 && Group > 0x0007 && Group != 0xFFFF;

    /// <summary>Private creator elements (gggg,0010-00FF) reserve a block of private tags (PS3.5 7.8.1).</summary>
    public bool IsPrivateCreator => IsPrivate && Element is >= 0x0010 and <= 0x00FF;

    /// <summary>Group length elements (gggg,0000), PS3.5 7.2.</summary>
    public bool IsGroupLength => Element == 0x0000;

    public int CompareTo(DicomTag other) => Value.CompareTo(other.Value);

    public static bool operator <(DicomTag a, DicomTag b) => a.Value < b.Value;
    public static bool operator >(DicomTag a, DicomTag b) => a.Value > b.Value;
    public static bool operator <=(DicomTag a, DicomTag b) => a.Value <= b.Value;
    public static bool operator >=(DicomTag a, DicomTag b) => a.Value >= b.Value;

    /// <summary>"(0010,0010)" as dcmdump and the standard print it.</summary>
    public override string ToString() => string.Create(11, Value, static (span, v) =>
    {
        span[0] = '(';
        ((ushort)(v >> 16)).TryFormat(span[1..], out _, "X4", CultureInfo.InvariantCulture);
        span[5] = ',';
        ((ushort)v).TryFormat(span[6..], out _, "X4", CultureInfo.InvariantCulture);
        span[10] = ')';
    });

    /// <summary>Eight hex digits, as DICOM JSON keys and QIDO parameters spell a tag (PS3.18 F.2.1).</summary>
    public string ToHexString() => Value.ToString("X8", CultureInfo.InvariantCulture);

    /// <summary>Parses "00100010", "0010,0010" or "(0010,0010)".</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out DicomTag tag)
    {
        tag = default;
        text = text.Trim();
        if (text.Length == 11 && text[0] == '(' && text[10] == ')')
        {
            text = text[1..10];
        }

        if (text.Length == 9 && text[4] == ',')
        {
            if (ushort.TryParse(text[..4], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var g)
                && ushort.TryParse(text[5..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var e))
            {
                tag = new DicomTag(g, e);
                return true;
            }
            return false;
        }
        if (text.Length == 8 && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
        {
            tag = new DicomTag(v);
            return true;
        }
        return false;
    }

}
