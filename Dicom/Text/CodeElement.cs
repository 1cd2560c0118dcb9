namespace Pacs.Dicom.Text;

/// <summary>
/// A graphic character set that ISO 2022 designates to G0 (bytes 0x21..0x7E) or G1 (bytes 0xA1..0xFE),
/// as listed in PS3.3 Tables C.12-3 and C.12-4. Codes are handled in their 7-bit form.
/// </summary>
internal sealed class CodeElement
{
    private const char Undefined = '\uFFFD';

    // Decode table: one char per code, starting at code _first (0x20 for 96-sets, 0x21 for 94-sets).
    private readonly string _table;
    private readonly int _first;
    private Dictionary<char, ushort>? _reverse;

    private CodeElement(string name, string designation, bool designatesG1, int bytesPerChar, string table, int first)
    {
        Name = name;
        Designation = [0x1B, .. System.Text.Encoding.ASCII.GetBytes(designation)];
        DesignatesG1 = designatesG1;
        BytesPerChar = bytesPerChar;
        _table = table;
        _first = first;
    }

    /// <summary>The ISO-IR registration, for messages.</summary>
    public string Name { get; }

    /// <summary>The escape sequence the encoder emits to designate this set (the one in PS3.3 C.12-3/C.12-4).</summary>
    public byte[] Designation { get; }

    public bool DesignatesG1 { get; }

    public int BytesPerChar { get; }

    /// <summary>ISO 646 IRV (ASCII) or JIS X 0201 Romaji: identity on 0x00..0x7F.</summary>
    public bool IsAsciiLike => _table.Length == 0;

    // PS3.3 Table C.12-3: G0 sets of the single-byte terms.
    public static readonly CodeElement Ascii = new("ISO-IR 6", "(B", false, 1, "", 0x21);

    // JIS X 0201 Romaji differs from ASCII only at 0x5C (YEN SIGN) and 0x7E (OVERLINE). DICOM uses 0x5C as the
    // value delimiter in every repertoire (PS3.5 6.1.2.5.3), so both are kept as ASCII, which makes the
    // delimiter survive decoding and matches what other toolkits (pydicom, dcmtk) produce.
    public static readonly CodeElement Romaji = new("ISO-IR 14", "(J", false, 1, "", 0x21);

    // PS3.3 Table C.12-3: G1 sets. JIS X 0201 Katakana is a 94-set (0xA1..0xDF used); the rest are 96-sets.
    public static readonly CodeElement Katakana = new("ISO-IR 13", ")I", true, 1, KatakanaTable(), 0x21);
    public static readonly CodeElement Latin1 = new("ISO-IR 100", "-A", true, 1, CodeTables.Iso8859_1, 0x20);
    public static readonly CodeElement Latin2 = new("ISO-IR 101", "-B", true, 1, CodeTables.Iso8859_2, 0x20);
    public static readonly CodeElement Latin3 = new("ISO-IR 109", "-C", true, 1, CodeTables.Iso8859_3, 0x20);
    public static readonly CodeElement Latin4 = new("ISO-IR 110", "-D", true, 1, CodeTables.Iso8859_4, 0x20);
    public static readonly CodeElement Cyrillic = new("ISO-IR 144", "-L", true, 1, CodeTables.Iso8859_5, 0x20);
    public static readonly CodeElement Arabic = new("ISO-IR 127", "-G", true, 1, CodeTables.Iso8859_6, 0x20);
    public static readonly CodeElement Greek = new("ISO-IR 126", "-F", true, 1, CodeTables.Iso8859_7, 0x20);
    public static readonly CodeElement Hebrew = new("ISO-IR 138", "-H", true, 1, CodeTables.Iso8859_8, 0x20);
    public static readonly CodeElement Latin5 = new("ISO-IR 148", "-M", true, 1, CodeTables.Iso8859_9, 0x20);
    public static readonly CodeElement Latin9 = new("ISO-IR 203", "-b", true, 1, CodeTables.Iso8859_15, 0x20);
    public static readonly CodeElement Thai = new("ISO-IR 166", "-T", true, 1, CodeTables.Tis620, 0x20);

    // PS3.3 Table C.12-4: multi-byte sets with code extensions.
    public static readonly CodeElement JisX0208 = new("ISO-IR 87", "$B", false, 2, CodeTables.JisX0208, 0x21);
    public static readonly CodeElement JisX0212 = new("ISO-IR 159", "$(D", false, 2, CodeTables.JisX0212, 0x21);
    public static readonly CodeElement KsX1001 = new("ISO-IR 149", "$)C", true, 2, CodeTables.KsX1001, 0x21);
    public static readonly CodeElement Gb2312 = new("ISO-IR 58", "$)A", true, 2, CodeTables.Gb2312, 0x21);

    /// <summary>
    /// Escape sequences the decoder understands: the ones of PS3.3 C.12-3/C.12-4, plus designations of the same
    /// sets to the other register and JIS C 6226-1978 (ESC $ @), met in files from older Japanese systems.
    /// Longest sequences first so that a prefix never shadows them.
    /// </summary>
    public static readonly (byte[] Escape, CodeElement Element, bool G1)[] Escapes =
    [
        (Esc("$(D"), JisX0212, false),
        (Esc("$)C"), KsX1001, true),
        (Esc("$)A"), Gb2312, true),
        (Esc("$(B"), JisX0208, false),
        (Esc("$(C"), KsX1001, false),
        (Esc("$(A"), Gb2312, false),
        (Esc("$B"), JisX0208, false),
        (Esc("$@"), JisX0208, false),
        (Esc("$A"), Gb2312, false),
        (Esc("(B"), Ascii, false),
        (Esc("(J"), Romaji, false),
        (Esc("(I"), Katakana, false),
        (Esc(")I"), Katakana, true),
        (Esc("-A"), Latin1, true),
        (Esc("-B"), Latin2, true),
        (Esc("-C"), Latin3, true),
        (Esc("-D"), Latin4, true),
        (Esc("-L"), Cyrillic, true),
        (Esc("-G"), Arabic, true),
        (Esc("-F"), Greek, true),
        (Esc("-H"), Hebrew, true),
        (Esc("-M"), Latin5, true),
        (Esc("-b"), Latin9, true),
        (Esc("-T"), Thai, true),
    ];

    /// <summary>Decodes a one-byte code (7-bit form); ASCII-like sets are the identity.</summary>
    public char Decode(int code)
    {
        if (IsAsciiLike)
        {
            return (char)code;
        }

        var i = code - _first;
        return (uint)i < (uint)_table.Length ? _table[i] : Undefined;
    }

    /// <summary>Decodes a two-byte code (7-bit form, 0x21..0x7E each).</summary>
    public char Decode(int first, int second)
    {
        var row = first - 0x21;
        var cell = second - 0x21;
        if ((uint)row >= 94 || (uint)cell >= 94)
        {
            return Undefined;
        }

        return _table[row * 94 + cell];
    }

    /// <summary>The 7-bit code of <paramref name="c"/> in this set (two bytes as first &lt;&lt; 8 | second).</summary>
    public bool TryEncode(char c, out int code)
    {
        if (IsAsciiLike)
        {
            code = c;
            return c < 0x80;
        }
        if (c == Undefined)
        {
            code = 0;
            return false;
        }
        var reverse = _reverse ?? BuildReverse();
        if (reverse.TryGetValue(c, out var value))
        {
            code = value;
            return true;
        }
        code = 0;
        return false;
    }

    public override string ToString() => Name;

    private Dictionary<char, ushort> BuildReverse()
    {
        var reverse = new Dictionary<char, ushort>(_table.Length);
        for (var i = 0; i < _table.Length; i++)
        {
            var c = _table[i];
            if (c == Undefined)
            {
                continue;
            }

            var code = BytesPerChar == 1 ? _first + i : ((0x21 + i / 94) << 8) | (0x21 + i % 94);
            reverse.TryAdd(c, (ushort)code);   // first code wins where a table maps two codes to one char
        }
        // Benign race: two threads may build equal dictionaries; either result is correct.
        return _reverse = reverse;
    }

    private static string KatakanaTable() =>
        // JIS X 0201 Katakana 0x21..0x5F are HALFWIDTH IDEOGRAPHIC FULL STOP .. HALFWIDTH KATAKANA SEMI-VOICED SOUND MARK.
        string.Create(94, 0, static (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = i < 63 ? (char)(0xFF61 + i) : Undefined;
            }
        });

    private static byte[] Esc(string tail) => [0x1B, .. System.Text.Encoding.ASCII.GetBytes(tail)];
}
