using System.Buffers.Binary;
using System.Globalization;
using Pacs.Dicom;

namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>A window (PS3.3 C.11.2.1.2): center and width in modality values.</summary>
internal readonly record struct VoiWindow(double Center, double Width);

/// <summary>Why a frame cannot be rendered (answered 406 or 400 at the edge).</summary>
internal sealed class RenderingException(string message) : Exception(message);

/// <summary>
/// The Image Pixel module (PS3.3 C.7.6.3) of a native data set: enough to find one frame's bytes and turn them into
/// 8-bit display values.
/// </summary>
internal sealed record PixelDescription(
    int Rows,
    int Columns,
    int SamplesPerPixel,
    int BitsAllocated,
    int BitsStored,
    int HighBit,
    bool Signed,
    string Photometric,
    int PlanarConfiguration,
    int NumberOfFrames,
    double RescaleSlope,
    double RescaleIntercept,
    VoiWindow? Window)
{
    /// <summary>
    /// Bytes of one frame in the Pixel Data value (PS3.5 8.1.1; 1-bit data is not rendered); YBR_FULL_422 carries two
    /// chroma samples per pair of pixels (PS3.3 C.7.6.3.1.2).
    /// </summary>
    public long FrameLength => Photometric == "YBR_FULL_422"
        ? (long)Rows * Columns * 2 * (BitsAllocated / 8)
        : (long)Rows * Columns * SamplesPerPixel * (BitsAllocated / 8);

    public static PixelDescription FromDataset(DicomDataset ds)
    {
        int Required(DicomTag tag, string name) => ds.GetInt32(tag) ?? throw new RenderingException($"{name} missing");
        var rows = Required(DicomTag.Rows, "Rows");
        var columns = Required(DicomTag.Columns, "Columns");
        var bitsAllocated = Required(DicomTag.BitsAllocated, "Bits Allocated");
        var samples = ds.GetInt32(DicomTag.SamplesPerPixel) ?? 1;
        var bitsStored = ds.GetInt32(DicomTag.BitsStored) ?? bitsAllocated;
        var photometric = (ds.GetString(DicomTag.PhotometricInterpretation) ?? (samples == 3 ? "RGB" : "MONOCHROME2")).Trim().ToUpperInvariant();
        if (rows <= 0 || columns <= 0)
        {
            throw new RenderingException("Empty image");
        }

        if (bitsAllocated is not (8 or 16 or 32))
        {
            throw new RenderingException($"Bits Allocated {bitsAllocated} is not rendered");
        }

        if (bitsStored <= 0 || bitsStored > bitsAllocated)
        {
            bitsStored = bitsAllocated;
        }

        VoiWindow? window = null;
        var centers = ds.GetStrings(DicomTag.WindowCenter);
        var widths = ds.GetStrings(DicomTag.WindowWidth);
        if (centers.Length > 0 && widths.Length > 0 && TryParse(centers[0], out var c) && TryParse(widths[0], out var w) && w >= 1)
        {
            window = new VoiWindow(c, w);
        }

        var slope = ds.GetStrings(DicomTag.RescaleSlope) is [var s, ..] && TryParse(s, out var sv) && sv != 0 ? sv : 1.0;
        var intercept = ds.GetStrings(DicomTag.RescaleIntercept) is [var i, ..] && TryParse(i, out var iv) ? iv : 0.0;
        return new PixelDescription(rows, columns, samples, bitsAllocated, bitsStored, ds.GetInt32(DicomTag.HighBit) ?? bitsStored - 1,
            ds.GetInt32(DicomTag.PixelRepresentation) == 1, photometric, ds.GetInt32(DicomTag.PlanarConfiguration) ?? 0,
            Math.Max(1, ds.GetInt32(DicomTag.NumberOfFrames) ?? 1), slope, intercept, window);
    }

    internal static bool TryParse(string s, out double value) =>
        double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}

/// <summary>
/// Turns one native frame into display values: monochrome through the Modality LUT (rescale, PS3.3 C.11.1) and a
/// linear VOI window (PS3.3 C.11.2.1.2.1; the data set's first window, the request's, else the frame's range),
/// MONOCHROME1 inverted; RGB and YBR_FULL(_422) colour at 8 bits (16-bit colour keeps its high byte).
/// </summary>
internal static class PixelRenderer
{
    public static RenderedImage Render(PixelDescription d, ReadOnlySpan<byte> frame, VoiWindow? requestWindow, bool bigEndian = false)
    {
        if (frame.Length < d.FrameLength)
        {
            throw new RenderingException("Pixel Data shorter than its frames");
        }

        return d.Photometric switch
        {
            "MONOCHROME1" or "MONOCHROME2" when d.SamplesPerPixel == 1 => RenderMonochrome(d, frame, requestWindow, bigEndian),
            "RGB" or "YBR_FULL" when d.SamplesPerPixel == 3 => RenderColor(d, frame, bigEndian),
            "YBR_FULL_422" when d.SamplesPerPixel == 3 && d.BitsAllocated == 8 => RenderYbr422(d, frame),
            _ => throw new RenderingException($"Photometric Interpretation {d.Photometric} with {d.SamplesPerPixel} samples is not rendered"),
        };
    }

    private static RenderedImage RenderMonochrome(PixelDescription d, ReadOnlySpan<byte> frame, VoiWindow? requestWindow, bool bigEndian)
    {
        var count = d.Rows * d.Columns;
        var values = new double[count];
        var shift = Math.Max(0, d.HighBit + 1 - d.BitsStored);
        var bits = d.BitsStored;
        var min = double.MaxValue;
        var max = double.MinValue;
        for (var i = 0; i < count; i++)
        {
            long raw = d.BitsAllocated switch
            {
                8 => frame[i],
                16 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(frame[(i * 2)..]) : BinaryPrimitives.ReadUInt16LittleEndian(frame[(i * 2)..]),
                _ => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(frame[(i * 4)..]) : BinaryPrimitives.ReadUInt32LittleEndian(frame[(i * 4)..]),
            };

            // Bits Stored within Bits Allocated at High Bit (PS3.5 8.1.1); the bits outside may hold overlays or noise.
            raw = (raw >> shift) & ((1L << bits) - 1);
            if (d.Signed && (raw & (1L << (bits - 1))) != 0)
            {
                raw -= 1L << bits;
            }

            var v = raw * d.RescaleSlope + d.RescaleIntercept;
            values[i] = v;
            if (v < min)
            {
                min = v;
            }

            if (v > max)
            {
                max = v;
            }
        }

        var window = requestWindow ?? d.Window ?? new VoiWindow((min + max) / 2, Math.Max(1, max - min + 1));
        var output = new byte[count];
        var invert = d.Photometric == "MONOCHROME1";
        var c = window.Center - 0.5;
        var w = Math.Max(1, window.Width) - 1;
        var low = c - w / 2;
        var high = c + w / 2;
        for (var i = 0; i < count; i++)
        {
            var x = values[i];
            var y = x <= low ? 0 : x > high ? 255 : w <= 0 ? 255 : ((x - c) / w + 0.5) * 255;
            var b = (byte)Math.Clamp((int)Math.Round(y), 0, 255);
            output[i] = invert ? (byte)(255 - b) : b;
        }

        return new RenderedImage(d.Columns, d.Rows, 1, output);
    }

    private static RenderedImage RenderColor(PixelDescription d, ReadOnlySpan<byte> frame, bool bigEndian)
    {
        var count = d.Rows * d.Columns;
        var output = new byte[count * 3];
        var bytesPerSample = d.BitsAllocated / 8;
        for (var i = 0; i < count; i++)
        {
            for (var s = 0; s < 3; s++)
            {
                // Planar Configuration (PS3.3 C.7.6.3.1.3): 0 = R1G1B1 R2G2B2..., 1 = all R, then all G, then all B.
                var index = d.PlanarConfiguration == 1 ? s * count + i : i * 3 + s;
                output[i * 3 + s] = bytesPerSample switch
                {
                    1 => frame[index],
                    2 => bigEndian ? frame[index * 2] : frame[index * 2 + 1],
                    _ => bigEndian ? frame[index * 4] : frame[index * 4 + 3],
                };
            }
        }

        if (d.Photometric == "YBR_FULL")
        {
            for (var i = 0; i < count; i++)
            {
                YbrToRgb(output, i * 3, output[i * 3], output[i * 3 + 1], output[i * 3 + 2]);
            }
        }

        return new RenderedImage(d.Columns, d.Rows, 3, output);
    }

    /// <summary>YBR_FULL_422 (PS3.3 C.7.6.3.1.2): Y1 Y2 Cb Cr per horizontal pair, never planar.</summary>
    private static RenderedImage RenderYbr422(PixelDescription d, ReadOnlySpan<byte> frame)
    {
        var output = new byte[d.Rows * d.Columns * 3];
        var rowBytes = d.Columns * 2;
        for (var y = 0; y < d.Rows; y++)
        {
            for (var x = 0; x < d.Columns; x += 2)
            {
                var p = y * rowBytes + x * 2;
                var cb = frame[p + 2];
                var cr = frame[p + 3];
                YbrToRgb(output, (y * d.Columns + x) * 3, frame[p], cb, cr);
                if (x + 1 < d.Columns)
                {
                    YbrToRgb(output, (y * d.Columns + x + 1) * 3, frame[p + 1], cb, cr);
                }
            }
        }

        return new RenderedImage(d.Columns, d.Rows, 3, output);
    }

    // PS3.3 C.7.6.3.1.2, the inverse of the YBR_FULL equations.
    private static void YbrToRgb(byte[] output, int offset, byte y, byte cb, byte cr)
    {
        double yy = y, b = cb - 128.0, r = cr - 128.0;
        output[offset] = Clamp(yy + 1.402 * r);
        output[offset + 1] = Clamp(yy - 0.344136 * b - 0.714136 * r);
        output[offset + 2] = Clamp(yy + 1.772 * b);
    }

    private static byte Clamp(double v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);
}
