using System.Buffers.Binary;

namespace Pacs.Dicom.IO;

/// <summary>
/// The transfer syntax of a bare data set (no File Meta Information, PS3.10 7.1), as the archive's blobs are stored:
/// the encoding from the first element (<see cref="FromDatasetHead"/>), then, for encapsulated Pixel Data, the codec
/// from the first fragment's codestream (<see cref="FromCodestream"/>). Used to rebuild the index from the blobs alone.
/// </summary>
public static class TransferSyntaxProbe
{
    /// <summary>Implicit or explicit VR, little or big endian, from the first element's tag and VR letters.</summary>
    public static DicomTransferSyntax FromDatasetHead(ReadOnlySpan<byte> head) => DicomReader.Guess(head);

    /// <summary>
    /// The encapsulated transfer syntax whose codestream begins with <paramref name="fragment"/> (the first bytes of
    /// the first fragment after the Basic Offset Table, PS3.5 A.4), or null when no known codec is recognised.
    /// JPEG (ISO 10918-1 SOFn markers; Lossless with Selection Value 1 is .70, PS3.5 A.4.1), JPEG-LS (SOF55, NEAR 0 is
    /// lossless, A.4.3), JPEG 2000 (SOC + SIZ, reversible 5-3 wavelet in COD is lossless, A.4.4; HTJ2K carries a CAP
    /// marker, A.4.11) and RLE (its 64-byte header, PS3.5 Annex G).
    /// </summary>
    public static DicomTransferSyntax? FromCodestream(ReadOnlySpan<byte> fragment)
    {
        if (fragment.Length >= 4 && fragment[0] == 0xFF && fragment[1] == 0xD8)
        {
            return FromJpeg(fragment);
        }

        if (fragment.Length >= 4 && fragment[0] == 0xFF && fragment[1] == 0x4F && fragment[2] == 0xFF && fragment[3] == 0x51)
        {
            return FromJpeg2000(fragment);
        }

        // RLE (PS3.5 G.3.1): number of segments (1-15), then 15 offsets, the first of which is 64.
        if (fragment.Length >= 64)
        {
            var segments = BinaryPrimitives.ReadUInt32LittleEndian(fragment);
            if (segments is >= 1 and <= 15 && BinaryPrimitives.ReadUInt32LittleEndian(fragment[4..]) == 64)
            {
                return DicomTransferSyntax.RLELossless;
            }
        }

        return null;
    }

    private static DicomTransferSyntax? FromJpeg(ReadOnlySpan<byte> s)
    {
        DicomTransferSyntax? frame = null;
        var position = 2;
        while (position + 4 <= s.Length)
        {
            if (s[position] != 0xFF)
            {
                return frame;
            }

            var marker = s[position + 1];
            if (marker == 0xFF)
            {
                position++; // fill byte
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(s[(position + 2)..]);
            var segment = s.Slice(position + 4, Math.Min(Math.Max(length - 2, 0), s.Length - position - 4));
            switch (marker)
            {
                case 0xC0:
                    return DicomTransferSyntax.JPEGBaseline8Bit;
                case 0xC1:
                    return DicomTransferSyntax.JPEGExtended12Bit;
                case 0xC3:
                    frame = DicomTransferSyntax.JPEGLossless;
                    break;
                case 0xF7:
                    frame = DicomTransferSyntax.JPEGLSLossless;
                    break;
                case 0xDA when frame is not null && segment.Length >= 1:
                    // SOS: Ns, Ns x (Cs, Td/Ta), then Ss: the predictor (JPEG lossless) or NEAR (JPEG-LS).
                    var ss = 1 + (2 * segment[0]);
                    if (segment.Length <= ss)
                    {
                        return frame;
                    }

                    if (frame == DicomTransferSyntax.JPEGLossless)
                    {
                        return segment[ss] == 1 ? DicomTransferSyntax.JPEGLosslessSV1 : frame;
                    }

                    return segment[ss] == 0 ? DicomTransferSyntax.JPEGLSLossless : DicomTransferSyntax.JPEGLSNearLossless;
                case 0xDA:
                    return frame;
            }

            position += 2 + length;
        }

        return frame;
    }

    private static DicomTransferSyntax FromJpeg2000(ReadOnlySpan<byte> s)
    {
        // Main header markers after SOC: SIZ, then COD, CAP, ... until the first SOT (FF90).
        var position = 2;
        var highThroughput = false;
        bool? reversible = null;
        while (position + 4 <= s.Length)
        {
            var marker = BinaryPrimitives.ReadUInt16BigEndian(s[position..]);
            if (marker == 0xFF90 || (marker & 0xFF00) != 0xFF00)
            {
                break;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(s[(position + 2)..]);
            if (marker == 0xFF50)
            {
                highThroughput = true;
            }
            else if (marker == 0xFF52 && position + 2 + 12 <= s.Length)
            {
                // COD: Lcod, Scod, progression, layers (2), MCT, levels, cbw, cbh, style, transform (1 = 5-3 reversible).
                reversible = s[position + 2 + 11] == 1;
            }

            position += 2 + length;
        }

        if (highThroughput)
        {
            return reversible == false ? DicomTransferSyntax.HTJ2K : DicomTransferSyntax.HTJ2KLossless;
        }

        return reversible == false ? DicomTransferSyntax.JPEG2000 : DicomTransferSyntax.JPEG2000Lossless;
    }
}
