using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>
/// One presentation data value of a P-DATA-TF PDU (PS3.8 9.3.5.1): a fragment of a DIMSE command or data set.
/// <see cref="Data"/> is a slice of the receive buffer: valid only until the reader advances past the PDU.
/// </summary>
public readonly record struct PresentationDataValue(byte PresentationContextId, byte MessageControlHeader, ReadOnlySequence<byte> Data)
{
    /// <summary>Bit 0 of the message control header: 1 = command, 0 = data set (PS3.8 E.2).</summary>
    public bool IsCommand => (MessageControlHeader & 0x01) != 0;

    /// <summary>Bit 1 of the message control header: 1 = last fragment of the command or data set (PS3.8 E.2).</summary>
    public bool IsLastFragment => (MessageControlHeader & 0x02) != 0;

    public static byte ControlHeader(bool command, bool last) => (byte)((command ? 1 : 0) | (last ? 2 : 0));
}

/// <summary>P-DATA-TF PDU (PS3.8 9.3.5): one or more presentation data value items.</summary>
public readonly record struct PDataTfPdu(IReadOnlyList<PresentationDataValue> Values)
{
    /// <summary>PDV item length (4) + presentation context ID (1) + message control header (1).</summary>
    public const int PdvHeaderSize = 6;

    public static bool TryRead(ref SequenceReader<byte> reader, out PDataTfPdu pdu) => TryRead(ref reader, PduLimits.Default, out pdu);

    public static bool TryRead(ref SequenceReader<byte> reader, PduLimits limits, out PDataTfPdu pdu)
    {
        pdu = default;
        var origin = reader.Consumed;
        if (!PduHeader.TryReadBody(ref reader, PduType.PDataTransfer, limits, out var body))
        {
            return false;
        }

        var r = new SequenceReader<byte>(body);
        var values = new List<PresentationDataValue>(1);
        while (r.Remaining > 0)
        {
            var itemOrigin = origin + PduHeader.Size + r.Consumed;
            var length = PduBinary.ReadUInt32(ref r, itemOrigin);
            // PS3.8 9.3.5.1: the item length counts the context ID and control header, so it is at least 2.
            if (length < 2 || length > r.Remaining)
            {
                throw new DicomFormatException($"PDV item length {length} is invalid for the remaining {r.Remaining} bytes", itemOrigin);
            }

            var id = PduBinary.ReadByte(ref r, itemOrigin);
            var control = PduBinary.ReadByte(ref r, itemOrigin);
            if ((control & 0xFC) != 0)
            {
                throw new DicomFormatException($"PDV message control header 0x{control:X2} has reserved bits set", itemOrigin + 5);
            }

            values.Add(new PresentationDataValue(id, control, PduBinary.ReadSlice(ref r, length - 2, itemOrigin)));
        }
        if (values.Count == 0)
        {
            throw new DicomFormatException("P-DATA-TF PDU without presentation data value", origin);
        }

        pdu = new PDataTfPdu(values);
        return true;
    }

    public void Write(IBufferWriter<byte> writer)
    {
        long length = 0;
        foreach (var v in Values)
        {
            length += PdvHeaderSize + v.Data.Length;
        }

        PduHeader.Write(writer, PduType.PDataTransfer, checked((uint)length));
        foreach (var v in Values)
        {
            WritePdvHeader(writer, v.PresentationContextId, v.MessageControlHeader, (int)v.Data.Length);
            foreach (var segment in v.Data)
            {
                PduBinary.WriteBytes(writer, segment.Span);
            }
        }
    }

    /// <summary>Writes a P-DATA-TF holding one PDV with <paramref name="data"/>, the common case when fragmenting.</summary>
    public static void WriteSingle(IBufferWriter<byte> writer, byte presentationContextId, bool command, bool last, ReadOnlySpan<byte> data)
    {
        PduHeader.Write(writer, PduType.PDataTransfer, (uint)(PdvHeaderSize + data.Length));
        WritePdvHeader(writer, presentationContextId, PresentationDataValue.ControlHeader(command, last), data.Length);
        PduBinary.WriteBytes(writer, data);
    }

    /// <summary>
    /// Writes one P-DATA-TF holding a whole message: its command in one PDV and its data set in a second (PS3.8
    /// 9.3.5.1: a PDU carries one or more PDV items; each PDV's control header says command or data set, and last
    /// fragment, PS3.8 E.2). The peer reads one PDU where it would read two.
    /// </summary>
    public static void WriteCommandAndData(IBufferWriter<byte> writer, byte presentationContextId, ReadOnlySpan<byte> command, ReadOnlySpan<byte> data)
    {
        PduHeader.Write(writer, PduType.PDataTransfer, (uint)(2 * PdvHeaderSize + command.Length + data.Length));
        WritePdvHeader(writer, presentationContextId, PresentationDataValue.ControlHeader(command: true, last: true), command.Length);
        PduBinary.WriteBytes(writer, command);
        WritePdvHeader(writer, presentationContextId, PresentationDataValue.ControlHeader(command: false, last: true), data.Length);
        PduBinary.WriteBytes(writer, data);
    }

    internal static void WritePdvHeader(IBufferWriter<byte> writer, byte id, byte control, int dataLength)
    {
        PduBinary.WriteUInt32(writer, (uint)(dataLength + 2));
        PduBinary.WriteByte(writer, id);
        PduBinary.WriteByte(writer, control);
    }
}
