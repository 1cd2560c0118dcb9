using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>A-ASSOCIATE-AC PDU (PS3.8 9.3.3). The AE title fields echo those of the request.</summary>
public sealed record AssociateAcceptPdu(
    string CalledAeTitle,
    string CallingAeTitle,
    IReadOnlyList<PresentationContextResult> PresentationContexts,
    UserInformation UserInformation,
    string ApplicationContextName = AssociateRequestPdu.DicomApplicationContextName,
    ushort ProtocolVersion = 1)
{
    public static bool TryRead(ref SequenceReader<byte> reader, out AssociateAcceptPdu pdu) =>
        TryRead(ref reader, PduLimits.Default, out pdu);

    public static bool TryRead(ref SequenceReader<byte> reader, PduLimits limits, out AssociateAcceptPdu pdu)
    {
        pdu = null!;
        var origin = reader.Consumed;
        if (!PduHeader.TryReadBody(ref reader, PduType.AssociateAccept, limits, out var body))
        {
            return false;
        }

        var f = AssociatePduFields.Read(body, origin + PduHeader.Size, request: false);
        pdu = new AssociateAcceptPdu(f.CalledAe, f.CallingAe, f.Results!, f.UserInformation, f.ApplicationContext, f.ProtocolVersion);
        return true;
    }

    public void Write(IBufferWriter<byte> writer)
    {
        var length = AssociatePduFields.FixedLength + 4 + PduBinary.AsciiLength(ApplicationContextName)
            + PresentationContexts.Sum(p => 4 + p.BodyLength) + 4 + UserInformation.BodyLength;
        PduHeader.Write(writer, PduType.AssociateAccept, (uint)length);
        AssociatePduFields.WriteFixed(writer, ProtocolVersion, CalledAeTitle, CallingAeTitle, ApplicationContextName);
        foreach (var p in PresentationContexts)
        {
            p.Write(writer);
        }

        UserInformation.Write(writer);
    }
}
