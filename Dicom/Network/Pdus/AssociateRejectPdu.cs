using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>A-ASSOCIATE-RJ result (PS3.8 9.3.4, Table 9-21).</summary>
public enum AssociateRejectResult : byte
{
    Permanent = 1,
    Transient = 2,
}

/// <summary>A-ASSOCIATE-RJ source (PS3.8 Table 9-21).</summary>
public enum AssociateRejectSource : byte
{
    ServiceUser = 1,
    ServiceProviderAcse = 2,
    ServiceProviderPresentation = 3,
}

/// <summary>
/// A-ASSOCIATE-RJ reason; its meaning depends on the source (PS3.8 Table 9-21), so values repeat across sources.
/// </summary>
public enum AssociateRejectReason : byte
{
    NoReasonGiven = 1,
    /// <summary>Source ServiceUser.</summary>
    ApplicationContextNameNotSupported = 2,
    /// <summary>Source ServiceUser.</summary>
    CallingAeTitleNotRecognized = 3,
    /// <summary>Source ServiceUser.</summary>
    CalledAeTitleNotRecognized = 7,
    /// <summary>Source ServiceProviderAcse.</summary>
    ProtocolVersionNotSupported = 2,
    /// <summary>Source ServiceProviderPresentation.</summary>
    TemporaryCongestion = 1,
    /// <summary>Source ServiceProviderPresentation.</summary>
    LocalLimitExceeded = 2,
}

/// <summary>A-ASSOCIATE-RJ PDU (PS3.8 9.3.4).</summary>
public readonly record struct AssociateRejectPdu(AssociateRejectResult Result, AssociateRejectSource Source, AssociateRejectReason Reason)
{
    public static bool TryRead(ref SequenceReader<byte> reader, out AssociateRejectPdu pdu)
    {
        pdu = default;
        var origin = reader.Consumed;
        if (!PduHeader.TryReadBody(ref reader, PduType.AssociateReject, PduLimits.Default, out var body))
        {
            return false;
        }

        var r = new SequenceReader<byte>(body);
        PduBinary.Skip(ref r, 1, origin);
        pdu = new AssociateRejectPdu((AssociateRejectResult)PduBinary.ReadByte(ref r, origin),
            (AssociateRejectSource)PduBinary.ReadByte(ref r, origin), (AssociateRejectReason)PduBinary.ReadByte(ref r, origin));
        return true;
    }

    public void Write(IBufferWriter<byte> writer)
    {
        PduHeader.Write(writer, PduType.AssociateReject, 4);
        var span = writer.GetSpan(4);
        span[0] = 0;
        span[1] = (byte)Result;
        span[2] = (byte)Source;
        span[3] = (byte)Reason;
        writer.Advance(4);
    }

    public override string ToString() => $"A-ASSOCIATE-RJ {Result} source {Source} reason {(byte)Reason}";
}
