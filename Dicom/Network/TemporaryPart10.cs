using System.Buffers.Binary;
using System.Text;

namespace Pacs.Dicom.Network;

/// <summary>
/// TEMPORARY: reads the Part 10 header of a file (PS3.10 7.1: preamble, "DICM", File Meta Information in Explicit
/// VR Little Endian) so the SCU can send its data set; delete when the lead's DicomFile lands on main.
/// </summary>
internal static class TemporaryPart10
{
    public readonly record struct Header(string SopClassUid, string SopInstanceUid, DicomTransferSyntax TransferSyntax, long DataSetOffset);

    public static async ValueTask<Header> ReadHeaderAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new byte[132 + 12];
        await stream.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
        if (Encoding.ASCII.GetString(head, 128, 4) != "DICM") throw new DicomFormatException("not a Part 10 file: no DICM prefix", 128);
        // (0002,0000) UL, 4 bytes: the length of the rest of group 0002 (PS3.10 7.1).
        if (BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(132)) != 0x00000002)
            throw new DicomFormatException("file meta information does not start with its group length", 132);
        var groupLength = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(140));
        if (groupLength > 64 * 1024) throw new DicomFormatException("file meta information group length too large", 140);
        var meta = new byte[groupLength];
        await stream.ReadExactlyAsync(meta, cancellationToken).ConfigureAwait(false);
        var ds = TemporaryDatasetCodec.Read(meta, DicomTransferSyntax.ExplicitVRLittleEndian);
        string Get(DicomTag t) => ds.TryGetElement(t, out var e) ? Encoding.ASCII.GetString(e.Value.Span).Trim('\0', ' ') : throw new DicomFormatException("file meta information lacks an element", 132, t);
        return new Header(Get(DicomTag.MediaStorageSOPClassUID), Get(DicomTag.MediaStorageSOPInstanceUID),
            DicomTransferSyntax.Resolve(Get(DicomTag.TransferSyntaxUID)), 144 + groupLength);
    }
}
