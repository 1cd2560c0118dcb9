using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>
/// SOP class extended negotiation sub-item (56h, PS3.7 D.3.3.5): service-class specific bytes for one SOP class
/// (for example relational queries for C-FIND, PS3.4 C.3.1). The bytes are kept opaque here.
/// </summary>
public sealed record SopClassExtendedNegotiation(string SopClassUid, ReadOnlyMemory<byte> ServiceClassApplicationInformation)
{
    internal const byte ItemType = 0x56;

    internal int BodyLength => 2 + PduBinary.AsciiLength(SopClassUid) + ServiceClassApplicationInformation.Length;

    internal void Write(IBufferWriter<byte> w)
    {
        PduBinary.WriteItemHeader(w, ItemType, BodyLength);
        PduBinary.WriteUInt16(w, (ushort)PduBinary.AsciiLength(SopClassUid));
        PduBinary.WriteAscii(w, SopClassUid);
        PduBinary.WriteBytes(w, ServiceClassApplicationInformation.Span);
    }

    internal static SopClassExtendedNegotiation Read(ref SequenceReader<byte> r, long origin)
    {
        var uidLength = PduBinary.ReadUInt16(ref r, origin);
        var uid = PduBinary.ReadAscii(ref r, uidLength, origin);
        return new SopClassExtendedNegotiation(uid, PduBinary.ReadBytes(ref r, r.Remaining, origin));
    }
}

/// <summary>
/// SOP class common extended negotiation sub-item (57h, PS3.7 D.3.3.6): the service class of a SOP class and the
/// related general SOP classes it can stand in for. Sent by the requestor only.
/// </summary>
public sealed record SopClassCommonExtendedNegotiation(string SopClassUid, string ServiceClassUid, IReadOnlyList<string> RelatedGeneralSopClassUids)
{
    internal const byte ItemType = 0x57;

    internal int BodyLength => 2 + PduBinary.AsciiLength(SopClassUid) + 2 + PduBinary.AsciiLength(ServiceClassUid)
        + 2 + RelatedGeneralSopClassUids.Sum(u => 2 + PduBinary.AsciiLength(u));

    internal void Write(IBufferWriter<byte> w)
    {
        // The second header byte is the sub-item version, 0 (PS3.7 D.3.3.6.1).
        PduBinary.WriteItemHeader(w, ItemType, BodyLength, second: 0);
        PduBinary.WriteUInt16(w, (ushort)PduBinary.AsciiLength(SopClassUid));
        PduBinary.WriteAscii(w, SopClassUid);
        PduBinary.WriteUInt16(w, (ushort)PduBinary.AsciiLength(ServiceClassUid));
        PduBinary.WriteAscii(w, ServiceClassUid);
        PduBinary.WriteUInt16(w, (ushort)RelatedGeneralSopClassUids.Sum(u => 2 + PduBinary.AsciiLength(u)));
        foreach (var u in RelatedGeneralSopClassUids)
        {
            PduBinary.WriteUInt16(w, (ushort)PduBinary.AsciiLength(u));
            PduBinary.WriteAscii(w, u);
        }
    }

    internal static SopClassCommonExtendedNegotiation Read(ref SequenceReader<byte> r, long origin)
    {
        var sop = PduBinary.ReadAscii(ref r, PduBinary.ReadUInt16(ref r, origin), origin);
        var service = PduBinary.ReadAscii(ref r, PduBinary.ReadUInt16(ref r, origin), origin);
        var related = new List<string>();
        if (r.Remaining >= 2)
        {
            var relatedLength = PduBinary.ReadUInt16(ref r, origin);
            var rr = new SequenceReader<byte>(PduBinary.ReadSlice(ref r, relatedLength, origin));
            while (rr.Remaining > 0)
            {
                related.Add(PduBinary.ReadAscii(ref rr, PduBinary.ReadUInt16(ref rr, origin), origin));
            }
        }
        return new SopClassCommonExtendedNegotiation(sop, service, related);
    }
}
