using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>A-RELEASE-RP PDU (PS3.8 9.3.7).</summary>
public readonly record struct ReleaseResponsePdu
{
    public static bool TryRead(ref SequenceReader<byte> reader, out ReleaseResponsePdu pdu)
    {
        pdu = default;
        return PduHeader.TryReadBody(ref reader, PduType.ReleaseResponse, PduLimits.Default, out _);
    }

    public void Write(IBufferWriter<byte> writer)
    {
        PduHeader.Write(writer, PduType.ReleaseResponse, 4);
        PduBinary.WriteZeros(writer, 4);
    }
}
