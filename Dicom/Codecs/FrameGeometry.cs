namespace Pacs.Dicom.Codecs;

/// <summary>
/// What a decoded frame must be, from the Image Pixel module (PS3.3 C.7.6.3): the decoders check a codestream's own
/// header against it before they allocate, and never write more than <see cref="Length"/> bytes.
/// </summary>
public readonly record struct FrameGeometry(int Rows, int Columns, int SamplesPerPixel, int BitsAllocated, int BitsStored, bool Signed)
{
    /// <summary>Bytes of one sample in the decoded frame: 1, 2 or 4.</summary>
    public int BytesPerSample => BitsAllocated / 8;

    /// <summary>Bytes of one decoded frame: Rows x Columns x Samples per Pixel x Bits Allocated / 8 (PS3.5 8.1.1).</summary>
    public long Length => (long)Rows * Columns * SamplesPerPixel * BytesPerSample;

    /// <summary>The geometry of the data set's frames; null when the module is missing or describes nothing decodable.</summary>
    public static FrameGeometry? FromDataset(DicomDataset dataset)
    {
        var rows = dataset.GetInt32(DicomTag.Rows) ?? 0;
        var columns = dataset.GetInt32(DicomTag.Columns) ?? 0;
        var samples = dataset.GetInt32(DicomTag.SamplesPerPixel) ?? 1;
        var bitsAllocated = dataset.GetInt32(DicomTag.BitsAllocated) ?? 0;
        var bitsStored = dataset.GetInt32(DicomTag.BitsStored) ?? bitsAllocated;
        if (rows <= 0 || columns <= 0 || samples is not (1 or 3 or 4) || bitsAllocated is not (8 or 16 or 32))
        {
            return null;
        }

        if (bitsStored <= 0 || bitsStored > bitsAllocated)
        {
            bitsStored = bitsAllocated;
        }

        return new FrameGeometry(rows, columns, samples, bitsAllocated, bitsStored, dataset.GetInt32(DicomTag.PixelRepresentation) == 1);
    }
}
