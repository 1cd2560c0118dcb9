using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Pacs.Dicom.Dictionary;

namespace Pacs.Dicom.IO;

/// <summary>One line of a dump: nesting depth, tag, VR, value text, value length ("u/l" when undefined).</summary>
public readonly record struct DicomDumpLine(int Depth, DicomTag Tag, string VR, string Value, string Length, int Multiplicity, string Keyword)
{
    public override string ToString()
    {
        var left = $"{new string(' ', Depth * 2)}({Tag.Group:x4},{Tag.Element:x4}) {VR} {Value}";
        return $"{left,-55} # {Length,3}, {Multiplicity} {Keyword}";
    }
}

/// <summary>
/// A human-readable dump in the layout of dcmtk's dcmdump (so the two can be compared line by line): strings in
/// brackets with their raw bytes, numbers in decimal, byte streams in hex, sequences and items with their counts.
/// </summary>
public static class DicomDump
{
    /// <summary>Values longer than this are shown as "(not loaded)", like dcmdump -M.</summary>
    public const int LongValueThreshold = 4096;

    public static string Dump(DicomReadResult result)
    {
        var text = new StringBuilder();
        foreach (var line in Lines(result))
        {
            text.AppendLine(line.ToString());
        }

        return text.ToString();
    }

    public static IEnumerable<DicomDumpLine> Lines(DicomReadResult result)
    {
        var lines = new List<DicomDumpLine>();
        if (result.FileMetaInformation is { } meta)
        {
            Walk(meta, 0, lines, explicitVR: true);
        }

        Walk(result.Dataset, 0, lines, result.TransferSyntax.IsExplicitVR);
        return lines;
    }

    private static void Walk(DicomDataset dataset, int depth, List<DicomDumpLine> lines, bool explicitVR)
    {
        foreach (var e in dataset)
        {
            var keyword = DicomDictionary.GetKeyword(e.Tag) ?? "";
            if (e.Sequence is { } sequence)
            {
                var syntax = explicitVR ? DicomTransferSyntax.ExplicitVRLittleEndian : DicomTransferSyntax.ImplicitVRLittleEndian;
                var kind = sequence.UndefinedLength ? "undefined" : "explicit";
                var length = sequence.UndefinedLength ? "u/l" : SequenceLength(sequence, syntax).ToString(CultureInfo.InvariantCulture);
                lines.Add(new(depth, e.Tag, "SQ", $"(Sequence with {kind} length #={sequence.Items.Count})", length, 1, keyword));
                foreach (var item in sequence.Items)
                {
                    var itemLength = sequence.UndefinedLength ? "u/l" : DicomWriter.EncodedLength(item, syntax).ToString(CultureInfo.InvariantCulture);
                    lines.Add(new(depth + 1, DicomTag.Item, "na", $"(Item with {kind} length #={item.Count})", itemLength, 1, "Item"));
                    Walk(item, depth + 2, lines, explicitVR);
                }
                continue;
            }
            if (e.Fragments is { } fragments)
            {
                lines.Add(new(depth, e.Tag, e.VR.ToString(), $"(PixelSequence #={fragments.Items.Count + 1})", "u/l", 1, keyword));
                lines.Add(new(depth + 1, DicomTag.Item, "pi", Hex(fragments.BasicOffsetTable.Span, 1), Len(fragments.BasicOffsetTable.Length), 1, "Item"));
                foreach (var f in fragments.Items)
                {
                    lines.Add(new(depth + 1, DicomTag.Item, "pi", f.Bulk is null ? Hex(f.Data.Span, 1) : "(not loaded)", Len(f.Length), 1, "Item"));
                }

                continue;
            }
            if (e.Bulk is { } bulk)
            {
                lines.Add(new(depth, e.Tag, e.VR.ToString(), "(not loaded)", Len(bulk.Length), 1, keyword));
                continue;
            }
            lines.Add(new(depth, e.Tag, e.VR.ToString(), FormatValue(e.VR, e.Value.Span), Len(e.Value.Length), Multiplicity(e), keyword));
        }
    }

    private static int Multiplicity(in DicomElement e)
    {
        var span = e.Value.Span;
        if (span.IsEmpty)
        {
            return 0;
        }

        if (e.VR.IsSingleValueText)
        {
            return 1;
        }

        if (e.VR.IsString)
        {
            return span.Count((byte)'\\') + 1;
        }

        return e.VR.IsBinaryNumber && e.VR != DicomVR.OW && e.VR != DicomVR.OF && e.VR != DicomVR.OD && e.VR != DicomVR.OL && e.VR != DicomVR.OV
            ? span.Length / Math.Max(1, e.VR.MaxLength) : 1;
    }

    private static long SequenceLength(DicomSequence sequence, DicomTransferSyntax syntax)
    {
        long total = 0;
        foreach (var item in sequence.Items)
        {
            total += 8 + DicomWriter.EncodedLength(item, syntax);
        }

        return total;
    }

    private static string Len(long length) => length.ToString(CultureInfo.InvariantCulture);

    /// <summary>The value as dcmdump prints it.</summary>
    public static string FormatValue(DicomVR vr, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return "(no value available)";
        }

        if (value.Length > LongValueThreshold)
        {
            return "(not loaded)";
        }

        if (vr.IsString || !vr.IsKnown && IsPrintable(value))
        {
            var text = Encoding.Latin1.GetString(value).TrimEnd('\0', ' ');
            return "[" + text + "]";
        }
        var parts = new List<string>();
        if (vr == DicomVR.US)
        {
            for (var i = 0; i + 2 <= value.Length; i += 2)
            {
                parts.Add(Num(BinaryPrimitives.ReadUInt16LittleEndian(value[i..])));
            }
        }
        else if (vr == DicomVR.SS)
        {
            for (var i = 0; i + 2 <= value.Length; i += 2)
            {
                parts.Add(Num(BinaryPrimitives.ReadInt16LittleEndian(value[i..])));
            }
        }
        else if (vr == DicomVR.UL)
        {
            for (var i = 0; i + 4 <= value.Length; i += 4)
            {
                parts.Add(Num(BinaryPrimitives.ReadUInt32LittleEndian(value[i..])));
            }
        }
        else if (vr == DicomVR.SL)
        {
            for (var i = 0; i + 4 <= value.Length; i += 4)
            {
                parts.Add(Num(BinaryPrimitives.ReadInt32LittleEndian(value[i..])));
            }
        }
        else if (vr == DicomVR.UV)
        {
            for (var i = 0; i + 8 <= value.Length; i += 8)
            {
                parts.Add(Num(BinaryPrimitives.ReadUInt64LittleEndian(value[i..])));
            }
        }
        else if (vr == DicomVR.SV)
        {
            for (var i = 0; i + 8 <= value.Length; i += 8)
            {
                parts.Add(Num(BinaryPrimitives.ReadInt64LittleEndian(value[i..])));
            }
        }
        else if (vr == DicomVR.FL || vr == DicomVR.OF)
        {
            for (var i = 0; i + 4 <= value.Length; i += 4)
            {
                parts.Add(BinaryPrimitives.ReadSingleLittleEndian(value[i..]).ToString("G9", CultureInfo.InvariantCulture));
            }
        }
        else if (vr == DicomVR.FD || vr == DicomVR.OD)
        {
            for (var i = 0; i + 8 <= value.Length; i += 8)
            {
                parts.Add(BinaryPrimitives.ReadDoubleLittleEndian(value[i..]).ToString("G17", CultureInfo.InvariantCulture));
            }
        }
        else if (vr == DicomVR.AT)
        {
            for (var i = 0; i + 4 <= value.Length; i += 4)
            {
                parts.Add($"({BinaryPrimitives.ReadUInt16LittleEndian(value[i..]):x4},{BinaryPrimitives.ReadUInt16LittleEndian(value[(i + 2)..]):x4})");
            }
        }
        else if (vr == DicomVR.OW)
        {
            return Hex(value, 2);
        }
        else if (vr == DicomVR.OL)
        {
            return Hex(value, 4);
        }
        else if (vr == DicomVR.OV)
        {
            return Hex(value, 8);
        }
        else
        {
            return Hex(value, 1);
        }

        return string.Join('\\', parts);
    }

    private static string Num<T>(T n) where T : IFormattable => n.ToString(null, CultureInfo.InvariantCulture);

    /// <summary>Lower-case hex of little-endian units of <paramref name="unit"/> bytes, backslash separated.</summary>
    private static string Hex(ReadOnlySpan<byte> value, int unit)
    {
        if (value.IsEmpty)
        {
            return "(no value available)";
        }

        if (value.Length > LongValueThreshold)
        {
            return "(not loaded)";
        }

        var text = new StringBuilder(value.Length * 3);
        for (var i = 0; i + unit <= value.Length; i += unit)
        {
            if (i > 0)
            {
                text.Append('\\');
            }

            for (var b = unit - 1; b >= 0; b--)
            {
                text.Append(value[i + b].ToString("x2", CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }

    private static bool IsPrintable(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b < 0x20 && b != 0 && b != '\r' && b != '\n' && b != '\t' && b != 0x1B)
            {
                return false;
            }
        }

        return true;
    }
}
