using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>A-ASSOCIATE-RQ PDU (PS3.8 9.3.2).</summary>
public sealed record AssociateRequestPdu(
    string CalledAeTitle,
    string CallingAeTitle,
    IReadOnlyList<PresentationContextProposal> PresentationContexts,
    UserInformation UserInformation,
    string ApplicationContextName = AssociateRequestPdu.DicomApplicationContextName,
    ushort ProtocolVersion = 1)
{
    /// <summary>The only application context name defined by DICOM (PS3.7 A.2.1).</summary>
    public const string DicomApplicationContextName = "1.2.840.10008.3.1.1.1";

    public static bool TryRead(ref SequenceReader<byte> reader, out AssociateRequestPdu pdu) =>
        TryRead(ref reader, PduLimits.Default, out pdu);

    public static bool TryRead(ref SequenceReader<byte> reader, PduLimits limits, out AssociateRequestPdu pdu)
    {
        pdu = null!;
        var origin = reader.Consumed;
        if (!PduHeader.TryReadBody(ref reader, PduType.AssociateRequest, limits, out var body))
        {
            return false;
        }

        var f = AssociatePduFields.Read(body, origin + PduHeader.Size, request: true);
        pdu = new AssociateRequestPdu(f.CalledAe, f.CallingAe, f.Proposals!, f.UserInformation, f.ApplicationContext, f.ProtocolVersion);
        return true;
    }

    public void Write(IBufferWriter<byte> writer)
    {
        var length = AssociatePduFields.FixedLength + 4 + PduBinary.AsciiLength(ApplicationContextName)
            + PresentationContexts.Sum(p => 4 + p.BodyLength) + 4 + UserInformation.BodyLength;
        PduHeader.Write(writer, PduType.AssociateRequest, (uint)length);
        AssociatePduFields.WriteFixed(writer, ProtocolVersion, CalledAeTitle, CallingAeTitle, ApplicationContextName);
        foreach (var p in PresentationContexts)
        {
            p.Write(writer);
        }

        UserInformation.Write(writer);
    }
}
