using System.Buffers;
using System.Buffers.Binary;

namespace Pacs.Dicom.Network.Dimse;

/// <summary>
/// TEMPORARY: encodes and decodes DIMSE command sets until the lead's DicomReader/DicomWriter land on main; delete
/// then. A command set is always Implicit VR Little Endian and holds only group 0000 elements with fixed VRs and
/// no sequences (PS3.7 6.3.1, E.1), so this needs no dictionary.
/// </summary>
internal static class TemporaryCommandCodec
{
    /// <summary>Upper bound for a command set; real ones are a few hundred bytes.</summary>
    public const int MaxCommandLength = 64 * 1024;

    public static DicomDataset Decode(ReadOnlySequence<byte> bytes)
    {
        if (bytes.Length > MaxCommandLength) throw new DicomFormatException($"command set of {bytes.Length} bytes exceeds {MaxCommandLength}", 0);
        var r = new SequenceReader<byte>(bytes);
        var ds = new DicomDataset(16);
        var previous = -1L;
        while (r.Remaining > 0)
        {
            var offset = r.Consumed;
            // Group then element, each 16-bit little endian (PS3.5 7.1.3).
            if (!r.TryReadLittleEndian(out short group) || !r.TryReadLittleEndian(out short element) || !r.TryReadLittleEndian(out int length))
                throw new DicomFormatException("truncated command element header", offset);
            var tag = new DicomTag((ushort)group, (ushort)element);
            if (tag.Group != 0x0000) throw new DicomFormatException("command set holds an element outside group 0000", offset, tag);
            if (tag.Value <= previous) throw new DicomFormatException("command elements out of order", offset, tag);
            previous = tag.Value;
            if (length < 0 || length > r.Remaining) throw new DicomFormatException($"command element length {(uint)length} runs past the command", offset, tag);
            var value = r.UnreadSequence.Slice(0, length).ToArray();
            r.Advance(length);
            ds.AddInOrder(new DicomElement(tag, CommandTags.VROf(tag), value));
        }
        return ds;
    }

    /// <summary>Encodes with a recomputed Command Group Length (0000,0000) first (PS3.7 E.1).</summary>
    public static byte[] Encode(DicomDataset command)
    {
        var bodyLength = 0;
        foreach (var e in command)
            if (e.Tag != CommandTags.CommandGroupLength) bodyLength += 8 + e.Value.Length;
        var bytes = new byte[12 + bodyLength];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)bodyLength);
        var at = 12;
        foreach (var e in command)
        {
            if (e.Tag == CommandTags.CommandGroupLength) continue;
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], e.Tag.Group);
            BinaryPrimitives.WriteUInt16LittleEndian(span[(at + 2)..], e.Tag.Element);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 4)..], (uint)e.Value.Length);
            e.Value.Span.CopyTo(span[(at + 8)..]);
            at += 8 + e.Value.Length;
        }
        return bytes;
    }
}
