using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>The 6-byte PDU header: type, reserved byte, 32-bit big-endian length of what follows (PS3.8 9.3.1).</summary>
public readonly record struct PduHeader(PduType Type, uint Length)
{
    public const int Size = 6;

    /// <summary>
    /// Peeks the header without consuming it. False when fewer than 6 bytes are buffered. Throws
    /// <see cref="DicomFormatException"/> for an unknown type or a length beyond <paramref name="limits"/>, so that
    /// a hostile length is refused before the body is waited for.
    /// </summary>
    public static bool TryPeek(in SequenceReader<byte> reader, PduLimits limits, out PduHeader header)
    {
        header = default;
        Span<byte> b = stackalloc byte[Size];
        if (!reader.TryCopyTo(b))
        {
            return false;
        }

        var type = (PduType)b[0];
        if (type is < PduType.AssociateRequest or > PduType.Abort)
        {
            throw new DicomFormatException($"unknown PDU type 0x{b[0]:X2}", reader.Consumed);
        }

        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b[2..]);
        var max = limits.For(type);
        if (length > max)
        {
            throw new DicomFormatException($"{type} PDU length {length} exceeds the limit {max}", reader.Consumed);
        }

        if (type is not PduType.PDataTransfer and not PduType.AssociateRequest and not PduType.AssociateAccept && length != 4)
        {
            throw new DicomFormatException($"{type} PDU length must be 4, is {length}", reader.Consumed);
        }

        header = new PduHeader(type, length);
        return true;
    }

    /// <summary>
    /// Checks the header is of <paramref name="expected"/> type and the whole PDU is buffered; on success returns the
    /// body and advances <paramref name="reader"/> past the PDU.
    /// </summary>
    internal static bool TryReadBody(ref SequenceReader<byte> reader, PduType expected, PduLimits limits, out ReadOnlySequence<byte> body)
    {
        body = default;
        if (!TryPeek(reader, limits, out var header))
        {
            return false;
        }

        if (header.Type != expected)
        {
            throw new DicomFormatException($"expected {expected} PDU, found {header.Type}", reader.Consumed);
        }

        if (reader.Remaining < Size + header.Length)
        {
            return false;
        }

        reader.Advance(Size);
        body = reader.UnreadSequence.Slice(0, header.Length);
        reader.Advance(header.Length);
        return true;
    }

    internal static void Write(IBufferWriter<byte> writer, PduType type, uint length)
    {
        var span = writer.GetSpan(Size);
        span[0] = (byte)type;
        span[1] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(span[2..], length);
        writer.Advance(Size);
    }
}
