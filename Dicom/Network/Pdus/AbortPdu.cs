using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>A-ABORT source (PS3.8 9.3.8, Table 9-26).</summary>
public enum AbortSource : byte
{
    ServiceUser = 0,
    ServiceProvider = 2,
}

/// <summary>A-ABORT reason, significant only when the source is the service provider (PS3.8 Table 9-26).</summary>
public enum AbortReason : byte
{
    NotSpecified = 0,
    UnrecognizedPdu = 1,
    UnexpectedPdu = 2,
    UnrecognizedPduParameter = 4,
    UnexpectedPduParameter = 5,
    InvalidPduParameterValue = 6,
}

/// <summary>A-ABORT PDU (PS3.8 9.3.8).</summary>
public readonly record struct AbortPdu(AbortSource Source, AbortReason Reason)
{
    public static bool TryRead(ref SequenceReader<byte> reader, out AbortPdu pdu)
    {
        pdu = default;
        var origin = reader.Consumed;
        if (!PduHeader.TryReadBody(ref reader, PduType.Abort, PduLimits.Default, out var body))
        {
            return false;
        }

        var r = new SequenceReader<byte>(body);
        PduBinary.Skip(ref r, 2, origin);
        pdu = new AbortPdu((AbortSource)PduBinary.ReadByte(ref r, origin), (AbortReason)PduBinary.ReadByte(ref r, origin));
        return true;
    }

    public void Write(IBufferWriter<byte> writer)
    {
        PduHeader.Write(writer, PduType.Abort, 4);
        var span = writer.GetSpan(4);
        span[0] = 0;
        span[1] = 0;
        span[2] = (byte)Source;
        span[3] = (byte)Reason;
        writer.Advance(4);
    }
}
