using System.Buffers;
using System.Buffers.Binary;
using Pacs.Dicom.Dictionary;

namespace Pacs.Dicom.Network;

/// <summary>
/// TEMPORARY: a minimal little-endian data set codec for the small identifiers of C-FIND/C-MOVE/C-GET, until the
/// lead's DicomReader/DicomWriter land on main; delete then. Handles Implicit and Explicit VR Little Endian with
/// nested sequences of defined or undefined length (PS3.5 7.1, 7.5). Not used for C-STORE data, which is streamed
/// as bytes and never parsed by the network layer.
/// </summary>
internal static class TemporaryDatasetCodec
{
    private const uint Undefined = 0xFFFFFFFF;
    private const int MaxDepth = 16;

    public static DicomDataset Read(ReadOnlySpan<byte> data, DicomTransferSyntax syntax)
    {
        if (syntax.IsBigEndian || syntax.IsDeflated)
            throw new DicomFormatException($"identifier in {syntax.Name} is not supported by the network layer", 0);
        var pos = 0;
        return ReadDataset(data, ref pos, data.Length, syntax.IsExplicitVR, 0, untilDelimiter: false);
    }

    private static DicomDataset ReadDataset(ReadOnlySpan<byte> d, ref int pos, int end, bool explicitVR, int depth, bool untilDelimiter)
    {
        if (depth > MaxDepth) throw new DicomFormatException("sequence nesting too deep", pos);
        var ds = new DicomDataset();
        while (pos < end)
        {
            var start = pos;
            Need(d, pos, 8, end);
            var tag = new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(d[pos..]), BinaryPrimitives.ReadUInt16LittleEndian(d[(pos + 2)..]));
            if (tag == DicomTag.ItemDelimitationItem)
            {
                pos += 8;
                if (untilDelimiter) return ds;
                throw new DicomFormatException("unexpected item delimiter", start);
            }
            DicomVR vr;
            uint length;
            if (explicitVR)
            {
                vr = DicomVR.FromChars(d[pos + 4], d[pos + 5]);
                if (vr.HasLongExplicitLength)
                {
                    Need(d, pos, 12, end);
                    length = BinaryPrimitives.ReadUInt32LittleEndian(d[(pos + 8)..]);
                    pos += 12;
                }
                else
                {
                    length = BinaryPrimitives.ReadUInt16LittleEndian(d[(pos + 6)..]);
                    pos += 8;
                }
            }
            else
            {
                length = BinaryPrimitives.ReadUInt32LittleEndian(d[(pos + 4)..]);
                vr = DicomDictionary.GetDefaultVR(tag);
                pos += 8;
            }
            if (vr == DicomVR.SQ || length == Undefined)
            {
                ds.Set(tag, ReadSequence(d, ref pos, end, length, explicitVR, depth + 1));
                continue;
            }
            if (length > end - pos) throw new DicomFormatException($"value length {length} runs past the data set", start, tag);
            ds.Set(new DicomElement(tag, vr, d.Slice(pos, (int)length).ToArray()));
            pos += (int)length;
        }
        if (untilDelimiter) throw new DicomFormatException("item without delimiter", pos);
        return ds;
    }

    private static DicomSequence ReadSequence(ReadOnlySpan<byte> d, ref int pos, int end, uint length, bool explicitVR, int depth)
    {
        var seqEnd = length == Undefined ? end : pos + (int)Math.Min(length, (uint)(end - pos));
        if (length != Undefined && length > end - pos) throw new DicomFormatException("sequence runs past the data set", pos);
        var seq = new DicomSequence { UndefinedLength = length == Undefined };
        while (pos < seqEnd)
        {
            Need(d, pos, 8, seqEnd);
            var tag = new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(d[pos..]), BinaryPrimitives.ReadUInt16LittleEndian(d[(pos + 2)..]));
            var itemLength = BinaryPrimitives.ReadUInt32LittleEndian(d[(pos + 4)..]);
            pos += 8;
            if (tag == DicomTag.SequenceDelimitationItem) return seq;
            if (tag != DicomTag.Item) throw new DicomFormatException("expected item tag in sequence", pos - 8, tag);
            if (itemLength == Undefined) seq.Items.Add(ReadDataset(d, ref pos, seqEnd, explicitVR, depth, untilDelimiter: true));
            else
            {
                if (itemLength > seqEnd - pos) throw new DicomFormatException("item runs past its sequence", pos);
                var itemEnd = pos + (int)itemLength;
                seq.Items.Add(ReadDataset(d, ref pos, itemEnd, explicitVR, depth, untilDelimiter: false));
            }
        }
        if (length == Undefined) throw new DicomFormatException("sequence without delimiter", pos);
        return seq;
    }

    private static void Need(ReadOnlySpan<byte> d, int pos, int count, int end)
    {
        if (pos + count > end || pos + count > d.Length) throw new DicomFormatException("truncated element header", pos);
    }

    public static byte[] Write(DicomDataset ds, DicomTransferSyntax syntax)
    {
        if (syntax.IsBigEndian || syntax.IsDeflated)
            throw new NotSupportedException($"writing identifiers in {syntax.Name} is not supported by the network layer");
        var w = new ArrayBufferWriter<byte>();
        WriteDataset(w, ds, syntax.IsExplicitVR);
        return w.WrittenSpan.ToArray();
    }

    private static void WriteDataset(ArrayBufferWriter<byte> w, DicomDataset ds, bool explicitVR)
    {
        foreach (var e in ds)
        {
            if (e.Sequence is { } seq)
            {
                WriteHeader(w, e.Tag, DicomVR.SQ, Undefined, explicitVR);
                foreach (var item in seq.Items)
                {
                    WriteTag(w, DicomTag.Item, Undefined);
                    WriteDataset(w, item, explicitVR);
                    WriteTag(w, DicomTag.ItemDelimitationItem, 0);
                }
                WriteTag(w, DicomTag.SequenceDelimitationItem, 0);
                continue;
            }
            if (e.Payload is not null) throw new NotSupportedException($"{e.Tag}: fragments or bulk data in an identifier");
            var vr = e.VR.IsKnown ? e.VR : DicomVR.UN;
            if (explicitVR && !vr.HasLongExplicitLength && e.Value.Length > ushort.MaxValue) vr = DicomVR.UN;
            WriteHeader(w, e.Tag, vr, (uint)e.Value.Length, explicitVR);
            w.Write(e.Value.Span);
        }
    }

    private static void WriteTag(ArrayBufferWriter<byte> w, DicomTag tag, uint length)
    {
        var s = w.GetSpan(8);
        BinaryPrimitives.WriteUInt16LittleEndian(s, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(s[2..], tag.Element);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], length);
        w.Advance(8);
    }

    private static void WriteHeader(ArrayBufferWriter<byte> w, DicomTag tag, DicomVR vr, uint length, bool explicitVR)
    {
        if (!explicitVR)
        {
            WriteTag(w, tag, length);
            return;
        }
        var s = w.GetSpan(12);
        BinaryPrimitives.WriteUInt16LittleEndian(s, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(s[2..], tag.Element);
        s[4] = vr.First;
        s[5] = vr.Second;
        if (vr.HasLongExplicitLength)
        {
            s[6] = 0;
            s[7] = 0;
            BinaryPrimitives.WriteUInt32LittleEndian(s[8..], length);
            w.Advance(12);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s[6..], (ushort)length);
            w.Advance(8);
        }
    }
}
