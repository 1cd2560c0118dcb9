using System.Buffers.Binary;

namespace Pacs.Dicom.IO;

/// <summary>
/// The Part 10 preamble and File Meta Information (PS3.10 7.1), read element by element from the front of a stream
/// so that what follows, the data set, can be stored alone (the meta header is rebuilt when serving Part 10).
/// <paramref name="DatasetPrefix"/> holds the bytes already read past the meta header: the data set continues with them.
/// </summary>
public sealed record Part10Header(DicomDataset Meta, DicomTransferSyntax TransferSyntax, ReadOnlyMemory<byte> DatasetPrefix, long DatasetOffset)
{
    private const int PreambleLength = 128;
    private const int MaxMetaLength = 64 * 1024;

    /// <summary>
    /// Reads the preamble and meta group from the front of <paramref name="source"/> (at most 64 KiB of meta information),
    /// leaving the stream just past the bytes returned in <see cref="DatasetPrefix"/>.
    /// </summary>
    public static async Task<Part10Header> ReadAsync(Stream source, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxMetaLength + PreambleLength + 4 + 16];
        var filled = await source.ReadAtLeastAsync(buffer.AsMemory(0, PreambleLength + 4 + 8), PreambleLength + 4 + 8, throwOnEndOfStream: false, cancellationToken)
            .ConfigureAwait(false);
        var (start, hasMeta) = DicomReader.DetectPart10(buffer.AsSpan(0, filled));
        if (!hasMeta)
        {
            throw new DicomFormatException("Not a DICOM Part 10 file (no DICM prefix, PS3.10 7.1)", 0);
        }

        var position = start;
        while (true)
        {
            filled = await EnsureAsync(source, buffer, filled, position + 8, cancellationToken).ConfigureAwait(false);
            if (filled < position + 8)
            {
                break; // nothing after the meta header; the data set parser reports it
            }

            // The meta group is always Explicit VR Little Endian (PS3.10 7.1).
            var group = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(position));
            if (group != 0x0002)
            {
                break;
            }

            // PS3.5 7.1.2: VRs with a 32-bit length have a 12-byte element header; an unknown VR is read with a 32-bit
            // length, as DicomParser reads it.
            var vr = DicomVR.FromChars(buffer[position + 4], buffer[position + 5]);
            int header;
            long length;
            if (vr.HasLongExplicitLength)
            {
                header = 12;
                filled = await EnsureAsync(source, buffer, filled, position + 12, cancellationToken).ConfigureAwait(false);
                if (filled < position + 12)
                {
                    throw new DicomFormatException("Truncated file meta information", position);
                }

                length = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(position + 8));
            }
            else
            {
                header = 8;
                length = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(position + 6));
            }

            var end = position + header + length;
            if (end > MaxMetaLength + start)
            {
                throw new DicomFormatException("File meta information longer than 64 KiB", position);
            }

            filled = await EnsureAsync(source, buffer, filled, (int)end, cancellationToken).ConfigureAwait(false);
            if (filled < end)
            {
                throw new DicomFormatException("Truncated file meta information", position);
            }

            position = (int)end;
        }

        var meta = DicomReader.ReadDataset(buffer.AsMemory(start, position - start), DicomTransferSyntax.ExplicitVRLittleEndian).Dataset;
        var uid = meta.GetString(DicomTag.TransferSyntaxUID);
        if (string.IsNullOrEmpty(uid))
        {
            throw new DicomFormatException("File meta information without Transfer Syntax UID (0002,0010)", start);
        }

        var syntax = DicomTransferSyntax.Find(uid)
            ?? throw new DicomFormatException($"Unknown transfer syntax {uid}", start, DicomTag.TransferSyntaxUID);
        return new Part10Header(meta, syntax, buffer.AsMemory(position, filled - position), position);
    }

    private static async Task<int> EnsureAsync(Stream source, byte[] buffer, int filled, int needed, CancellationToken cancellationToken)
    {
        if (filled >= needed || needed > buffer.Length)
        {
            return filled;
        }

        return filled + await source.ReadAtLeastAsync(buffer.AsMemory(filled, buffer.Length - filled), needed - filled, throwOnEndOfStream: false, cancellationToken)
            .ConfigureAwait(false);
    }
}
