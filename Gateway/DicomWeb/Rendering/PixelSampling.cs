namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>
/// Takes every n-th pixel of every n-th row of a native frame before it is rendered, when the image asked for is much
/// smaller than the frame: a 128-pixel thumbnail of a 2140×1760 CR windowed 3.8 million pixels (and held them as
/// doubles) to average them down to 13,000. The step leaves at least <see cref="MinSamplesPerAxis"/> samples per
/// output pixel along each axis, so the area averaging that follows (<see cref="ImageScaler"/>) still sees every part
/// of the image, at a sixteenth of the work or less; the output size is the one asked for. Samples are copied whole
/// (byte order unchanged), for either planar configuration (PS3.3 C.7.6.3.1.3). YBR_FULL_422, whose chroma belongs to
/// pixel pairs (PS3.3 C.7.6.3.1.2), is left alone.
/// </summary>
internal static class PixelSampling
{
    public const int MinSamplesPerAxis = 4;

    /// <summary>The sampling step for a frame shown at <paramref name="width"/> × <paramref name="height"/>: 1 for none.</summary>
    public static int Step(int columns, int rows, int width, int height) =>
        Math.Max(1, Math.Min(columns / Math.Max(1, width), rows / Math.Max(1, height)) / MinSamplesPerAxis);

    /// <summary>The frame with every <paramref name="step"/>-th pixel (taken from the middle of each step); false when not sampled.</summary>
    public static bool TrySample(PixelDescription d, ReadOnlySpan<byte> frame, int step, out PixelDescription sampled, out byte[] sampledFrame)
    {
        sampled = d;
        sampledFrame = [];
        if (step <= 1 || d.Photometric == "YBR_FULL_422" || d.BitsAllocated % 8 != 0 || frame.Length < d.FrameLength)
        {
            return false;
        }

        var columns = d.Columns / step;
        var rows = d.Rows / step;
        if (columns < 1 || rows < 1)
        {
            return false;
        }

        var sampleBytes = d.BitsAllocated / 8;
        var planar = d.SamplesPerPixel > 1 && d.PlanarConfiguration == 1;
        // Planar: each plane is sampled on its own, one sample at a time; interleaved: a pixel is all its samples.
        var planes = planar ? d.SamplesPerPixel : 1;
        var pixelBytes = planar ? sampleBytes : sampleBytes * d.SamplesPerPixel;
        var planeBytes = (long)d.Rows * d.Columns * pixelBytes;
        var output = new byte[(long)rows * columns * pixelBytes * planes];
        var o = 0;
        var offset = step / 2;
        for (var p = 0; p < planes; p++)
        {
            var plane = frame.Slice((int)(p * planeBytes), (int)planeBytes);
            for (var y = 0; y < rows; y++)
            {
                var row = plane.Slice((y * step + offset) * d.Columns * pixelBytes, d.Columns * pixelBytes);
                for (var x = 0; x < columns; x++)
                {
                    row.Slice((x * step + offset) * pixelBytes, pixelBytes).CopyTo(output.AsSpan(o));
                    o += pixelBytes;
                }
            }
        }

        sampled = d with { Rows = rows, Columns = columns };
        sampledFrame = output;
        return true;
    }
}
