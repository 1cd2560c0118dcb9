namespace Pacs.Dicom;

/// <summary>
/// A value representation (PS3.5 6.2), stored as its two ASCII characters so that an unknown VR read
/// from the wire can still be carried and reported.
/// </summary>
public readonly record struct DicomVR(ushort Code)
{
    public static DicomVR FromChars(byte first, byte second) => new((ushort)((first << 8) | second));

    public static DicomVR Parse(ReadOnlySpan<char> text) =>
        text.Length == 2 ? FromChars((byte)text[0], (byte)text[1]) : throw new FormatException($"'{text}' is not a VR");

    public byte First => (byte)(Code >> 8);
    public byte Second => (byte)Code;

    public static readonly DicomVR None = default;
    public static readonly DicomVR AE = FromChars((byte)'A', (byte)'E');
    public static readonly DicomVR AS = FromChars((byte)'A', (byte)'S');
    public static readonly DicomVR AT = FromChars((byte)'A', (byte)'T');
    public static readonly DicomVR CS = FromChars((byte)'C', (byte)'S');
    public static readonly DicomVR DA = FromChars((byte)'D', (byte)'A');
    public static readonly DicomVR DS = FromChars((byte)'D', (byte)'S');
    public static readonly DicomVR DT = FromChars((byte)'D', (byte)'T');
    public static readonly DicomVR FD = FromChars((byte)'F', (byte)'D');
    public static readonly DicomVR FL = FromChars((byte)'F', (byte)'L');
    public static readonly DicomVR IS = FromChars((byte)'I', (byte)'S');
    public static readonly DicomVR LO = FromChars((byte)'L', (byte)'O');
    public static readonly DicomVR LT = FromChars((byte)'L', (byte)'T');
    public static readonly DicomVR OB = FromChars((byte)'O', (byte)'B');
    public static readonly DicomVR OD = FromChars((byte)'O', (byte)'D');
    public static readonly DicomVR OF = FromChars((byte)'O', (byte)'F');
    public static readonly DicomVR OL = FromChars((byte)'O', (byte)'L');
    public static readonly DicomVR OV = FromChars((byte)'O', (byte)'V');
    public static readonly DicomVR OW = FromChars((byte)'O', (byte)'W');
    public static readonly DicomVR PN = FromChars((byte)'P', (byte)'N');
    public static readonly DicomVR SH = FromChars((byte)'S', (byte)'H');
    public static readonly DicomVR SL = FromChars((byte)'S', (byte)'L');
    public static readonly DicomVR SQ = FromChars((byte)'S', (byte)'Q');
    public static readonly DicomVR SS = FromChars((byte)'S', (byte)'S');
    public static readonly DicomVR ST = FromChars((byte)'S', (byte)'T');
    public static readonly DicomVR SV = FromChars((byte)'S', (byte)'V');
    public static readonly DicomVR TM = FromChars((byte)'T', (byte)'M');
    public static readonly DicomVR UC = FromChars((byte)'U', (byte)'C');
    public static readonly DicomVR UI = FromChars((byte)'U', (byte)'I');
    public static readonly DicomVR UL = FromChars((byte)'U', (byte)'L');
    public static readonly DicomVR UN = FromChars((byte)'U', (byte)'N');
    public static readonly DicomVR UR = FromChars((byte)'U', (byte)'R');
    public static readonly DicomVR US = FromChars((byte)'U', (byte)'S');
    public static readonly DicomVR UT = FromChars((byte)'U', (byte)'T');
    public static readonly DicomVR UV = FromChars((byte)'U', (byte)'V');

    /// <summary>True for the 34 VRs of the current standard (PS3.5 Table 6.2-1).</summary>
    public bool IsKnown => Info.Kind != VRKind.Unknown;

    /// <summary>
    /// In explicit VR encodings these VRs have 2 reserved bytes and a 32-bit length; all others a 16-bit length
    /// (PS3.5 7.1.2, Table 7.1-1).
    /// </summary>
    public bool HasLongExplicitLength => Info.LongLength;

    public bool IsString => Info.Kind is VRKind.Text or VRKind.TextSingle or VRKind.TextNoCharset;

    /// <summary>String VRs whose value is decoded with the Specific Character Set (PS3.5 6.1.2.3).</summary>
    public bool UsesSpecificCharacterSet => Info.Kind is VRKind.Text or VRKind.TextSingle;

    /// <summary>Text VRs that hold a single value: backslash is not a delimiter (LT, ST, UT, UR).</summary>
    public bool IsSingleValueText => Info.Kind == VRKind.TextSingle || Code == UR.Code;

    /// <summary>Size of the unit swapped between endiannesses: the binary number size (AT: its two 16-bit halves), 1 for text and bytes.</summary>
    public int UnitSize => Info.Unit;

    /// <summary>Byte used to pad values to even length (PS3.5 6.2): NUL for UI and binary, space for strings.</summary>
    public byte PaddingByte => IsString && Code != UI.Code ? (byte)' ' : (byte)0;

    /// <summary>Maximum length in bytes (characters for text) where the standard fixes one, else -1.</summary>
    public int MaxLength => Info.MaxLength;

    public bool IsBinaryNumber => Info.Kind == VRKind.Number;
    public bool IsByteStream => Info.Kind == VRKind.Bytes;

    public override string ToString() =>
        First is >= 0x20 and < 0x7F && Second is >= 0x20 and < 0x7F
            ? string.Create(2, this, static (s, vr) => { s[0] = (char)vr.First; s[1] = (char)vr.Second; })
            : $"0x{Code:X4}";

    private VRInfo Info => Lookup(Code);

    private enum VRKind : byte { Unknown, Text, TextSingle, TextNoCharset, Number, Bytes, Sequence }

    private readonly record struct VRInfo(VRKind Kind, bool LongLength, int Unit, int MaxLength);

    // PS3.5 Table 6.2-1. Text: charset-decoded multi-valued; TextSingle: charset-decoded single-valued;
    // TextNoCharset: default repertoire only.
    private static VRInfo Lookup(ushort code) => code switch
    {
        0x4145 => new(VRKind.TextNoCharset, false, 1, 16),   // AE
        0x4153 => new(VRKind.TextNoCharset, false, 1, 4),    // AS
        0x4154 => new(VRKind.Number, false, 2, 4),           // AT: a pair of 16-bit numbers, each swapped on its own
        0x4353 => new(VRKind.TextNoCharset, false, 1, 16),   // CS
        0x4441 => new(VRKind.TextNoCharset, false, 1, 8),    // DA
        0x4453 => new(VRKind.TextNoCharset, false, 1, 16),   // DS
        0x4454 => new(VRKind.TextNoCharset, false, 1, 26),   // DT
        0x4644 => new(VRKind.Number, false, 8, 8),           // FD
        0x464C => new(VRKind.Number, false, 4, 4),           // FL
        0x4953 => new(VRKind.TextNoCharset, false, 1, 12),   // IS
        0x4C4F => new(VRKind.Text, false, 1, 64),            // LO
        0x4C54 => new(VRKind.TextSingle, false, 1, 10240),   // LT
        0x4F42 => new(VRKind.Bytes, true, 1, -1),            // OB
        0x4F44 => new(VRKind.Number, true, 8, -1),           // OD
        0x4F46 => new(VRKind.Number, true, 4, -1),           // OF
        0x4F4C => new(VRKind.Number, true, 4, -1),           // OL
        0x4F56 => new(VRKind.Number, true, 8, -1),           // OV
        0x4F57 => new(VRKind.Number, true, 2, -1),           // OW
        0x504E => new(VRKind.Text, false, 1, 64),            // PN (per component group)
        0x5348 => new(VRKind.Text, false, 1, 16),            // SH
        0x534C => new(VRKind.Number, false, 4, 4),           // SL
        0x5351 => new(VRKind.Sequence, true, 1, -1),         // SQ
        0x5353 => new(VRKind.Number, false, 2, 2),           // SS
        0x5354 => new(VRKind.TextSingle, false, 1, 1024),    // ST
        0x5356 => new(VRKind.Number, true, 8, 8),            // SV
        0x544D => new(VRKind.TextNoCharset, false, 1, 14),   // TM
        0x5543 => new(VRKind.Text, true, 1, -1),             // UC
        0x5549 => new(VRKind.TextNoCharset, false, 1, 64),   // UI
        0x554C => new(VRKind.Number, false, 4, 4),           // UL
        0x554E => new(VRKind.Bytes, true, 1, -1),            // UN
        0x5552 => new(VRKind.TextNoCharset, true, 1, -1),    // UR
        0x5553 => new(VRKind.Number, false, 2, 2),           // US
        0x5554 => new(VRKind.TextSingle, true, 1, -1),       // UT
        0x5556 => new(VRKind.Number, true, 8, 8),            // UV
        _ => new(VRKind.Unknown, true, 1, -1),
    };
}
