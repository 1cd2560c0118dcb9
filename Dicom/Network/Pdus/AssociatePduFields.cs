using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>The layout shared by A-ASSOCIATE-RQ and -AC (PS3.8 Tables 9-11 and 9-17).</summary>
internal readonly record struct AssociatePduFields(
    ushort ProtocolVersion, string CalledAe, string CallingAe, string ApplicationContext,
    List<PresentationContextProposal>? Proposals, List<PresentationContextResult>? Results, UserInformation UserInformation)
{
    private const byte ApplicationContextItemType = 0x10;

    /// <summary>Protocol version (2), reserved (2), called AE (16), calling AE (16), reserved (32).</summary>
    public const int FixedLength = 68;

    public static void WriteFixed(IBufferWriter<byte> w, ushort version, string called, string calling, string applicationContext)
    {
        PduBinary.WriteUInt16(w, version);
        PduBinary.WriteZeros(w, 2);
        PduBinary.WriteAeTitle(w, called);
        PduBinary.WriteAeTitle(w, calling);
        PduBinary.WriteZeros(w, 32);
        PduBinary.WriteItemHeader(w, ApplicationContextItemType, PduBinary.AsciiLength(applicationContext));
        PduBinary.WriteAscii(w, applicationContext);
    }

    public static AssociatePduFields Read(ReadOnlySequence<byte> body, long origin, bool request)
    {
        var r = new SequenceReader<byte>(body);
        var version = PduBinary.ReadUInt16(ref r, origin);
        PduBinary.Skip(ref r, 2, origin);
        var called = PduBinary.ReadAeTitle(ref r, origin);
        var calling = PduBinary.ReadAeTitle(ref r, origin);
        PduBinary.Skip(ref r, 32, origin);
        string? applicationContext = null;
        var proposals = request ? new List<PresentationContextProposal>() : null;
        var results = request ? null : new List<PresentationContextResult>();
        UserInformation? userInformation = null;
        while (r.Remaining > 0)
        {
            var itemOrigin = origin + r.Consumed;
            var (type, _, length) = PduBinary.ReadItemHeader(ref r, origin);
            var slice = PduBinary.ReadSlice(ref r, length, origin);
            switch (type)
            {
                case ApplicationContextItemType:
                    var ar = new SequenceReader<byte>(slice);
                    applicationContext = PduBinary.ReadAscii(ref ar, length, itemOrigin);
                    break;
                case PresentationContextProposal.ItemType when request:
                    proposals!.Add(PresentationContextProposal.Read(slice, itemOrigin + 4));
                    break;
                case PresentationContextResult.ItemType when !request:
                    results!.Add(PresentationContextResult.Read(slice, itemOrigin + 4));
                    break;
                case UserInformation.ItemType:
                    userInformation = UserInformation.Read(slice, itemOrigin + 4);
                    break;
                default: break; // PS3.8 9.3.1: items of unknown type are ignored
            }
        }
        if (applicationContext is null)
        {
            throw new DicomFormatException("association PDU without application context item", origin);
        }

        return new AssociatePduFields(version, called, calling, applicationContext, proposals, results, userInformation ?? new UserInformation());
    }
}
