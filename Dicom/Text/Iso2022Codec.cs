using System.Buffers;
using System.Text;

namespace Pacs.Dicom.Text;

/// <summary>
/// The ISO 2022 code extension technique as DICOM restricts it (PS3.5 6.1.2.5, Annexes H, I, J, K):
/// G0 and G1 designated by escape sequences, no shifts, and the sets of value 1 of (0008,0005) active again
/// at the start of every value, line, and PN component group and component.
/// </summary>
internal sealed class Iso2022Codec
{
    private const byte Esc = 0x1B;
    private const char Replacement = '\uFFFD';

    private readonly CodeElement _initialG0;
    private readonly CodeElement? _initialG1;
    private readonly CodeElement[] _declared;
    private readonly CodeElement? _fallbackG1;

    public Iso2022Codec(CodeElement initialG0, CodeElement? initialG1, CodeElement[] declared)
    {
        _initialG0 = initialG0;
        _initialG1 = initialG1;
        _declared = declared;
        // Writers that designate G1 once per value and then rely on it after a delimiter, or never designate
        // it at all, are common; high bytes with no G1 in force are read with the first declared G1 set.
        _fallbackG1 = initialG1 ?? Array.Find(declared, e => e.DesignatesG1);
    }

    public string Decode(ReadOnlySpan<byte> bytes, DicomVR vr)
    {
        // Fast path: no escape and no high byte means the initial single-byte G0 (ASCII or Romaji, both read as ASCII).
        if (bytes.IndexOf(Esc) < 0 && !bytes.ContainsAnyInRange((byte)0x80, (byte)0xFF) && _initialG0.BytesPerChar == 1)
        {
            return Encoding.Latin1.GetString(bytes);
        }

        var isPersonName = vr == DicomVR.PN;
        var multiValued = !vr.IsSingleValueText;
        // Every char consumes at least one byte, so the output is never longer than the input.
        var rented = ArrayPool<char>.Shared.Rent(Math.Max(bytes.Length, 1));
        var output = rented.AsSpan();
        var n = 0;
        var g0 = _initialG0;
        var g1 = _initialG1;
        var i = 0;
        while (i < bytes.Length)
        {
            var b = bytes[i];
            if (b == Esc)
            {
                if (TryMatchEscape(bytes[i..], out var element, out var toG1, out var length))
                {
                    if (toG1)
                    {
                        g1 = element;
                    }
                    else
                    {
                        g0 = element;
                    }

                    i += length;
                }
                else
                {
                    // Not a designation DICOM allows: keep going, mark the spot.
                    output[n++] = Replacement;
                    i++;
                }
                continue;
            }
            if (b < 0x20)
            {
                // CR, LF, FF, TAB and other controls: the initial sets are active before them (PS3.5 6.1.2.5.3).
                g0 = _initialG0;
                g1 = _initialG1;
                output[n++] = (char)b;
                i++;
                continue;
            }
            if (b < 0x80)
            {
                if (g0.BytesPerChar == 2 && b is > 0x20 and < 0x7F)
                {
                    if (i + 1 < bytes.Length && bytes[i + 1] is > 0x20 and < 0x7F)
                    {
                        output[n++] = g0.Decode(b, bytes[i + 1]);
                        i += 2;
                    }
                    else
                    {
                        output[n++] = Replacement;
                        i++;
                    }
                    continue;
                }
                // Delimiters reset to the initial sets: backslash between values, '=' between PN component
                // groups and '^' between PN components (PS3.5 6.1.2.5.3).
                if ((b == (byte)'\\' && multiValued) || (isPersonName && b is (byte)'=' or (byte)'^'))
                {
                    g0 = _initialG0;
                    g1 = _initialG1;
                }
                output[n++] = g0.BytesPerChar == 1 ? g0.Decode(b) : (char)b;
                i++;
                continue;
            }
            if (b < 0xA0)
            {
                output[n++] = (char)b;   // C1 control: kept as is, like the single-byte sets do
                i++;
                continue;
            }
            var set = g1 ?? _fallbackG1;
            if (set is null)
            {
                output[n++] = (char)b;   // no G1 anywhere: Latin-1, the usual undeclared guess
                i++;
            }
            else if (set.BytesPerChar == 2)
            {
                if (i + 1 < bytes.Length && bytes[i + 1] >= 0xA1 && bytes[i + 1] != 0xFF)
                {
                    output[n++] = set.Decode(b & 0x7F, bytes[i + 1] & 0x7F);
                    i += 2;
                }
                else
                {
                    output[n++] = Replacement;
                    i++;
                }
            }
            else
            {
                output[n++] = set.Decode(b & 0x7F);
                i++;
            }
        }
        var result = new string(output[..n]);
        ArrayPool<char>.Shared.Return(rented);
        return result;
    }

    public byte[] Encode(string text, DicomVR vr, out bool lossless)
    {
        lossless = true;
        var isPersonName = vr == DicomVR.PN;
        var multiValued = !vr.IsSingleValueText;
        var output = new ArrayBufferWriter<byte>(text.Length + 16);
        var g0 = _initialG0;
        var g1 = _initialG1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var isDelimiter = c < 0x20 || (c == '\\' && multiValued) || (isPersonName && c is '=' or '^');
            if (isDelimiter)
            {
                // Return to the sets of value 1 before the delimiter (PS3.5 6.1.2.5.3). G1 cannot be
                // "undesignated"; when value 1 has none, readers reset it anyway, so nothing is written.
                if (g0 != _initialG0)
                {
                    Write(output, _initialG0.Designation);
                }

                if (g1 != _initialG1 && _initialG1 is not null)
                {
                    Write(output, _initialG1.Designation);
                }

                g0 = _initialG0;
                g1 = _initialG1;
                WriteByte(output, (byte)c);
                continue;
            }
            if (c < 0x80)
            {
                if (g0.BytesPerChar != 1)
                {
                    g0 = _initialG0.BytesPerChar == 1 ? _initialG0 : CodeElement.Ascii;
                    Write(output, g0.Designation);
                }
                WriteByte(output, (byte)c);
                continue;
            }
            if (g1 is not null && g1.TryEncode(c, out var code))
            {
                WriteCode(output, g1, code, high: true);
                continue;
            }
            if (g0.BytesPerChar == 2 && g0.TryEncode(c, out code))
            {
                WriteCode(output, g0, code, high: false);
                continue;
            }
            var found = false;
            foreach (var element in _declared)
            {
                if (element.IsAsciiLike || !element.TryEncode(c, out code))
                {
                    continue;
                }

                Write(output, element.Designation);
                if (element.DesignatesG1)
                {
                    g1 = element;
                }
                else
                {
                    g0 = element;
                }

                WriteCode(output, element, code, high: element.DesignatesG1);
                found = true;
                break;
            }
            if (found)
            {
                continue;
            }

            lossless = false;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }

            if (g0.BytesPerChar != 1)
            {
                g0 = _initialG0.BytesPerChar == 1 ? _initialG0 : CodeElement.Ascii;
                Write(output, g0.Designation);
            }
            WriteByte(output, (byte)'?');
        }
        // "before the end of a Data Element value" the initial sets are active again (PS3.5 6.1.2.5.3).
        if (g0 != _initialG0)
        {
            Write(output, _initialG0.Designation);
        }

        if (g1 != _initialG1 && _initialG1 is not null)
        {
            Write(output, _initialG1.Designation);
        }

        return output.WrittenSpan.ToArray();
    }

    private static bool TryMatchEscape(ReadOnlySpan<byte> bytes, out CodeElement element, out bool toG1, out int length)
    {
        foreach (var (escape, e, g1) in CodeElement.Escapes)
        {
            if (!bytes.StartsWith(escape))
            {
                continue;
            }

            element = e;
            toG1 = g1;
            length = escape.Length;
            return true;
        }
        element = CodeElement.Ascii;
        toG1 = false;
        length = 0;
        return false;
    }

    private static void WriteCode(ArrayBufferWriter<byte> output, CodeElement element, int code, bool high)
    {
        var mask = high ? 0x80 : 0;
        if (element.BytesPerChar == 2)
        {
            WriteByte(output, (byte)((code >> 8) | mask));
            WriteByte(output, (byte)((code & 0xFF) | mask));
        }
        else
        {
            WriteByte(output, (byte)(code | mask));
        }
    }

    private static void WriteByte(ArrayBufferWriter<byte> output, byte b)
    {
        output.GetSpan(1)[0] = b;
        output.Advance(1);
    }

    private static void Write(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);
}
