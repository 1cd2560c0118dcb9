using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>
/// Presentation context item of an A-ASSOCIATE-RQ (item type 20h, PS3.8 9.3.2.2): one abstract syntax (30h) and
/// the transfer syntaxes (40h) proposed for it, in order of preference.
/// </summary>
public sealed record PresentationContextProposal(byte Id, string AbstractSyntax, IReadOnlyList<string> TransferSyntaxes)
{
    internal const byte ItemType = 0x20;
    internal const byte AbstractSyntaxItemType = 0x30;
    internal const byte TransferSyntaxItemType = 0x40;

    internal int BodyLength => 4 + 4 + PduBinary.AsciiLength(AbstractSyntax)
        + TransferSyntaxes.Sum(t => 4 + PduBinary.AsciiLength(t));

    internal void Write(IBufferWriter<byte> w)
    {
        PduBinary.WriteItemHeader(w, ItemType, BodyLength);
        PduBinary.WriteByte(w, Id);
        PduBinary.WriteZeros(w, 3);
        PduBinary.WriteItemHeader(w, AbstractSyntaxItemType, PduBinary.AsciiLength(AbstractSyntax));
        PduBinary.WriteAscii(w, AbstractSyntax);
        foreach (var ts in TransferSyntaxes)
        {
            PduBinary.WriteItemHeader(w, TransferSyntaxItemType, PduBinary.AsciiLength(ts));
            PduBinary.WriteAscii(w, ts);
        }
    }

    internal static PresentationContextProposal Read(ReadOnlySequence<byte> body, long origin)
    {
        var r = new SequenceReader<byte>(body);
        var id = PduBinary.ReadByte(ref r, origin);
        PduBinary.Skip(ref r, 3, origin);
        string? abstractSyntax = null;
        var transferSyntaxes = new List<string>();
        while (r.Remaining > 0)
        {
            var (type, _, length) = PduBinary.ReadItemHeader(ref r, origin);
            switch (type)
            {
                case AbstractSyntaxItemType: abstractSyntax = PduBinary.ReadAscii(ref r, length, origin); break;
                case TransferSyntaxItemType: transferSyntaxes.Add(PduBinary.ReadAscii(ref r, length, origin)); break;
                default: PduBinary.Skip(ref r, length, origin); break; // PS3.8 9.3.1: unknown items are ignored
            }
        }
        if (abstractSyntax is null)
        {
            throw new DicomFormatException($"presentation context {id} has no abstract syntax sub-item", origin);
        }

        return new PresentationContextProposal(id, abstractSyntax, transferSyntaxes);
    }
}
