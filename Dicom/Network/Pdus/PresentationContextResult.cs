using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>Result/reason of a presentation context in an A-ASSOCIATE-AC (PS3.8 9.3.3.2, Table 9-18).</summary>
public enum PresentationContextResultReason : byte
{
    Acceptance = 0,
    UserRejection = 1,
    NoReason = 2,
    AbstractSyntaxNotSupported = 3,
    TransferSyntaxesNotSupported = 4,
}

/// <summary>
/// Presentation context item of an A-ASSOCIATE-AC (item type 21h, PS3.8 9.3.3.2): the result for one proposed
/// context and, when accepted, the one transfer syntax chosen.
/// </summary>
public sealed record PresentationContextResult(byte Id, PresentationContextResultReason Result, string TransferSyntax)
{
    internal const byte ItemType = 0x21;

    public bool IsAccepted => Result == PresentationContextResultReason.Acceptance;

    internal int BodyLength => 4 + 4 + PduBinary.AsciiLength(TransferSyntax);

    internal void Write(IBufferWriter<byte> w)
    {
        PduBinary.WriteItemHeader(w, ItemType, BodyLength);
        PduBinary.WriteByte(w, Id);
        PduBinary.WriteByte(w, 0);
        PduBinary.WriteByte(w, (byte)Result);
        PduBinary.WriteByte(w, 0);
        // PS3.8 9.3.3.2: the transfer syntax sub-item is present even when rejected (its value is then not significant).
        PduBinary.WriteItemHeader(w, PresentationContextProposal.TransferSyntaxItemType, PduBinary.AsciiLength(TransferSyntax));
        PduBinary.WriteAscii(w, TransferSyntax);
    }

    internal static PresentationContextResult Read(ReadOnlySequence<byte> body, long origin)
    {
        var r = new SequenceReader<byte>(body);
        var id = PduBinary.ReadByte(ref r, origin);
        PduBinary.Skip(ref r, 1, origin);
        var result = PduBinary.ReadByte(ref r, origin);
        PduBinary.Skip(ref r, 1, origin);
        var ts = "";
        while (r.Remaining > 0)
        {
            var (type, _, length) = PduBinary.ReadItemHeader(ref r, origin);
            if (type == PresentationContextProposal.TransferSyntaxItemType)
            {
                ts = PduBinary.ReadAscii(ref r, length, origin);
            }
            else
            {
                PduBinary.Skip(ref r, length, origin);
            }
        }
        if (result > 4)
        {
            throw new DicomFormatException($"presentation context {id} has invalid result {result}", origin);
        }

        return new PresentationContextResult(id, (PresentationContextResultReason)result, ts);
    }
}
