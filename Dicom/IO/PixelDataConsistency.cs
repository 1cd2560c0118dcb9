namespace Pacs.Dicom.IO;

/// <summary>
/// Whether a data set's Pixel Data can hold the image its header describes: the check an archive makes before it
/// acknowledges an instance (a viewer or a retrieve would otherwise fail on it later, long after the sender has
/// deleted its copy). Lenient on what it cannot decide: missing image attributes are not a failure.
/// </summary>
public static class PixelDataConsistency
{
    /// <summary>
    /// The problem, in a sentence short enough for a DIMSE Error Comment (LO, 64 characters), or null when the pixel
    /// data is consistent or cannot be checked. <paramref name="header"/> holds the Image Pixel attributes;
    /// <paramref name="pixelData"/> the top-level Pixel Data, Float Pixel Data or Double Float Pixel Data element.
    /// </summary>
    public static string? FindProblem(DicomDataset header, DicomDataset pixelData, DicomTransferSyntax syntax)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(pixelData);
        ArgumentNullException.ThrowIfNull(syntax);
        if (!TryGetPixelData(pixelData, out var element))
        {
            return null;
        }

        var frames = Math.Max(1, header.GetInt32(DicomTag.NumberOfFrames) ?? 1);
        if (element.Fragments is { } fragments)
        {
            // PS3.5 A.4: after the Basic Offset Table item, at least one fragment; every frame is in one or more
            // fragments of its own, except in the video transfer syntaxes (MPEG-2, MPEG-4, HEVC: one stream for all).
            if (fragments.Items.Count == 0)
            {
                return "Encapsulated Pixel Data has no fragments";
            }

            if (!IsVideo(syntax) && fragments.Items.Count < frames)
            {
                return $"{fragments.Items.Count} pixel data fragments for {frames} frames";
            }

            return null;
        }

        if (syntax.IsEncapsulated || element.Length < 0)
        {
            return null;
        }

        var rows = header.GetUInt16(DicomTag.Rows) ?? 0;
        var columns = header.GetUInt16(DicomTag.Columns) ?? 0;
        // Float and Double Float Pixel Data have 32 and 64 bits per sample whatever Bits Allocated says (PS3.3 C.7.6.24).
        var bitsAllocated = element.Tag == DicomTag.FloatPixelData ? 32
            : element.Tag == DicomTag.DoubleFloatPixelData ? 64
            : header.GetUInt16(DicomTag.BitsAllocated) ?? 0;
        var samplesPerPixel = header.GetUInt16(DicomTag.SamplesPerPixel) ?? 1;
        if (rows == 0 || columns == 0 || bitsAllocated == 0 || samplesPerPixel == 0)
        {
            return null;
        }

        var expected = ExpectedNativeLength(rows, columns, samplesPerPixel, bitsAllocated, frames, header.GetString(DicomTag.PhotometricInterpretation));
        return element.Length < expected
            ? $"Pixel Data has {element.Length} bytes, the image needs {expected}"
            : null;
    }

    /// <summary>
    /// Bytes of native pixel data for the image: Rows x Columns x Samples per Pixel x Bits Allocated bits per frame,
    /// frames one after another with no padding between them, so 1-bit frames share bytes (PS3.5 8.1.1, 8.2; PS3.3
    /// C.7.6.3.1.4), the whole rounded up to a byte. YBR_FULL_422 and YBR_PARTIAL_422 native data carry two luminance
    /// values and one of each chrominance per pair of pixels, i.e. two samples per pixel (PS3.3 C.7.6.3.1.2).
    /// The even-length padding byte (PS3.5 7.1.1) is not part of it: a longer value is consistent.
    /// </summary>
    public static Int128 ExpectedNativeLength(int rows, int columns, int samplesPerPixel, int bitsAllocated, int frames, string? photometricInterpretation)
    {
        var samples = samplesPerPixel == 3 && photometricInterpretation is "YBR_FULL_422" or "YBR_PARTIAL_422" ? 2 : samplesPerPixel;
        var bits = (Int128)rows * columns * samples * bitsAllocated * Math.Max(1, frames);
        return (bits + 7) / 8;
    }

    private static bool TryGetPixelData(DicomDataset dataset, out DicomElement element) =>
        dataset.TryGetElement(DicomTag.PixelData, out element)
        || dataset.TryGetElement(DicomTag.FloatPixelData, out element)
        || dataset.TryGetElement(DicomTag.DoubleFloatPixelData, out element);

    // PS3.5 8.2.5-8.2.12: MPEG-2, MPEG-4 AVC/H.264 and HEVC/H.265 (1.2.840.10008.1.2.4.100 to .108 and their
    // fragmentable variants) encode all frames as one stream.
    private static bool IsVideo(DicomTransferSyntax syntax) =>
        syntax.Uid.StartsWith("1.2.840.10008.1.2.4.10", StringComparison.Ordinal);
}
