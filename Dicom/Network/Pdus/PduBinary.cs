using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>Big-endian field helpers shared by the PDU and item codecs (PS3.8 9.3.1: PDU fields are big endian).</summary>
internal static class PduBinary
{
    public static byte ReadByte(ref SequenceReader<byte> r, long origin)
    {
        if (!r.TryRead(out var b))
        {
            throw Truncated(r, origin);
        }

        return b;
    }

    public static ushort ReadUInt16(ref SequenceReader<byte> r, long origin)
    {
        if (!r.TryReadBigEndian(out short v))
        {
            throw Truncated(r, origin);
        }

        return (ushort)v;
    }

    public static uint ReadUInt32(ref SequenceReader<byte> r, long origin)
    {
        if (!r.TryReadBigEndian(out int v))
        {
            throw Truncated(r, origin);
        }

        return (uint)v;
    }

    public static void Skip(ref SequenceReader<byte> r, long count, long origin)
    {
        if (r.Remaining < count)
        {
            throw Truncated(r, origin);
        }

        r.Advance(count);
    }

    public static ReadOnlySequence<byte> ReadSlice(ref SequenceReader<byte> r, long count, long origin)
    {
        if (count < 0 || r.Remaining < count)
        {
            throw Truncated(r, origin);
        }

        var slice = r.UnreadSequence.Slice(0, count);
        r.Advance(count);
        return slice;
    }

    public static byte[] ReadBytes(ref SequenceReader<byte> r, long count, long origin) =>
        ReadSlice(ref r, count, origin).ToArray();

    /// <summary>UIDs and names in items are ASCII; some implementations pad them with NUL or space, tolerated here.</summary>
    public static string ReadAscii(ref SequenceReader<byte> r, long count, long origin)
    {
        var slice = ReadSlice(ref r, count, origin);
        var s = slice.IsSingleSegment ? Encoding.ASCII.GetString(slice.FirstSpan) : Encoding.ASCII.GetString(slice.ToArray());
        return s.Trim('\0', ' ');
    }

    /// <summary>AE titles occupy 16 bytes, space padded; leading and trailing spaces are not significant (PS3.8 9.3.2).</summary>
    public static string ReadAeTitle(ref SequenceReader<byte> r, long origin) => ReadAscii(ref r, 16, origin);

    public static DicomFormatException Truncated(in SequenceReader<byte> r, long origin) =>
        new("PDU field runs past the end of its PDU or item", origin + r.Consumed);

    public static void WriteByte(IBufferWriter<byte> w, byte value)
    {
        w.GetSpan(1)[0] = value;
        w.Advance(1);
    }

    public static void WriteUInt16(IBufferWriter<byte> w, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(w.GetSpan(2), value);
        w.Advance(2);
    }

    public static void WriteUInt32(IBufferWriter<byte> w, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(w.GetSpan(4), value);
        w.Advance(4);
    }

    public static void WriteZeros(IBufferWriter<byte> w, int count)
    {
        var span = w.GetSpan(count)[..count];
        span.Clear();
        w.Advance(count);
    }

    public static void WriteAscii(IBufferWriter<byte> w, string value)
    {
        var n = Encoding.ASCII.GetByteCount(value);
        Encoding.ASCII.GetBytes(value, w.GetSpan(n));
        w.Advance(n);
    }

    public static void WriteBytes(IBufferWriter<byte> w, ReadOnlySpan<byte> value)
    {
        value.CopyTo(w.GetSpan(value.Length));
        w.Advance(value.Length);
    }

    /// <summary>Writes an AE title as 16 bytes, space padded (PS3.8 9.3.2).</summary>
    public static void WriteAeTitle(IBufferWriter<byte> w, string ae)
    {
        var span = w.GetSpan(16)[..16];
        span.Fill((byte)' ');
        Encoding.ASCII.GetBytes(ae.AsSpan(0, Math.Min(ae.Length, 16)), span);
        w.Advance(16);
    }

    public static int AsciiLength(string s) => Encoding.ASCII.GetByteCount(s);

    /// <summary>Writes an item header: type, reserved (or sub-item version), 16-bit length (PS3.8 9.3.2.x).</summary>
    public static void WriteItemHeader(IBufferWriter<byte> w, byte type, int length, byte second = 0)
    {
        if (length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"item 0x{type:X2} longer than 65535 bytes");
        }

        var span = w.GetSpan(4);
        span[0] = type;
        span[1] = second;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)length);
        w.Advance(4);
    }

    /// <summary>Reads an item header; throws when the declared length runs past the enclosing body.</summary>
    public static (byte Type, byte Second, ushort Length) ReadItemHeader(ref SequenceReader<byte> r, long origin)
    {
        var type = ReadByte(ref r, origin);
        var second = ReadByte(ref r, origin);
        var length = ReadUInt16(ref r, origin);
        if (r.Remaining < length)
        {
            throw new DicomFormatException($"item 0x{type:X2} length {length} runs past its PDU", origin + r.Consumed);
        }

        return (type, second, length);
    }
}
