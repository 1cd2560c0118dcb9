using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>A-RELEASE-RQ PDU (PS3.8 9.3.6): a fixed 4-byte reserved body.</summary>
public readonly record struct ReleaseRequestPdu
{
    public static bool TryRead(ref SequenceReader<byte> reader, out ReleaseRequestPdu pdu)
    {
        pdu = default;
        return PduHeader.TryReadBody(ref reader, PduType.ReleaseRequest, PduLimits.Default, out _);
    }

    public void Write(IBufferWriter<byte> writer)
    {
        PduHeader.Write(writer, PduType.ReleaseRequest, 4);
        PduBinary.WriteZeros(writer, 4);
    }
}
