using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>PDU types of the DICOM upper layer (PS3.8 9.3.1, Table 9-11).</summary>
public enum PduType : byte
{
    AssociateRequest = 0x01,
    AssociateAccept = 0x02,
    AssociateReject = 0x03,
    PDataTransfer = 0x04,
    ReleaseRequest = 0x05,
    ReleaseResponse = 0x06,
    Abort = 0x07,
}

/// <summary>
/// Upper bounds applied to a PDU's declared length before any byte of its body is buffered or allocated.
/// A peer that declares more is refused (A-ABORT) instead of being trusted (PS3.8 9.3.1 gives no bound of its own).
/// </summary>
public readonly record struct PduLimits(uint MaxAssociatePduLength, uint MaxPDataPduLength)
{
    /// <summary>64 KiB for association negotiation PDUs, 16 MiB for P-DATA-TF.</summary>
    public static PduLimits Default { get; } = new(64 * 1024, 16 * 1024 * 1024);

    public uint For(PduType type) => type switch
    {
        PduType.PDataTransfer => MaxPDataPduLength,
        PduType.AssociateRequest or PduType.AssociateAccept => MaxAssociatePduLength,
        _ => 4, // RJ, release and abort PDUs have a fixed 4-byte body (PS3.8 9.3.4, 9.3.6-9.3.8)
    };
}

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
        if (!reader.TryCopyTo(b)) return false;
        var type = (PduType)b[0];
        if (type is < PduType.AssociateRequest or > PduType.Abort)
            throw new DicomFormatException($"unknown PDU type 0x{b[0]:X2}", reader.Consumed);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b[2..]);
        var max = limits.For(type);
        if (length > max)
            throw new DicomFormatException($"{type} PDU length {length} exceeds the limit {max}", reader.Consumed);
        if (type is not PduType.PDataTransfer and not PduType.AssociateRequest and not PduType.AssociateAccept && length != 4)
            throw new DicomFormatException($"{type} PDU length must be 4, is {length}", reader.Consumed);
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
        if (!TryPeek(reader, limits, out var header)) return false;
        if (header.Type != expected)
            throw new DicomFormatException($"expected {expected} PDU, found {header.Type}", reader.Consumed);
        if (reader.Remaining < Size + header.Length) return false;
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
