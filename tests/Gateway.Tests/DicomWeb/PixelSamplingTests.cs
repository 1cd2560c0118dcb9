using System.Buffers.Binary;
using Pacs.Gateway.DicomWeb.Rendering;

namespace Pacs.Gateway.Tests.DicomWeb;

/// <summary>
/// Sampling a large frame before a small rendering: the thumbnail made from the samples is the one made from every
/// pixel, within a stated tolerance, and sampling happens only when there are enough pixels per output pixel.
/// </summary>
public sealed class PixelSamplingTests
{
    private static PixelDescription Mono16(int rows, int columns, VoiWindow? window = null) =>
        new(rows, columns, 1, 16, 12, 11, false, "MONOCHROME2", 0, 1, 1, 0, window);

    /// <summary>A CR-like 12-bit frame: smooth gradients, a bright disc and thin bright lines (what must not vanish).</summary>
    private static byte[] Radiograph(int rows, int columns)
    {
        var bytes = new byte[rows * columns * 2];
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < columns; x++)
            {
                var v = 500 + (2000.0 * x / columns) + (800.0 * y / rows);
                var dx = x - columns / 2;
                var dy = y - rows / 3;
                if (dx * dx + dy * dy < rows * rows / 25)
                {
                    v += 1200;
                }

                if (y % 97 < 3)
                {
                    v = 4000; // a 3-pixel line every 97 rows
                }

                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((y * columns + x) * 2), (ushort)Math.Clamp(v, 0, 4095));
            }
        }

        return bytes;
    }

    private static double Psnr(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var mse = a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Average();
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    [Theory]
    [InlineData(1760, 2140, 128, 128, 4)] // a CR view into the 128-pixel thumbnail: 13.75 source pixels per output pixel
    [InlineData(512, 512, 128, 128, 1)] // a CT slice: 4 per output pixel, not sampled
    [InlineData(512, 512, 64, 64, 2)]
    [InlineData(600, 100, 128, 128, 1)] // the narrow side has 4.8 pixels per output pixel: not sampled
    public void Step_LeavesAtLeastFourSamplesPerOutputPixel(int rows, int columns, int width, int height, int expected)
    {
        var (w, h) = ImageScaler.Fit(columns, rows, width, height);
        Assert.Equal(expected, PixelSampling.Step(columns, rows, w, h));
    }

    [Fact]
    public void Thumbnail_OfSampledCrFrame_MatchesTheThumbnailOfEveryPixel()
    {
        const int Rows = 1760, Columns = 2140;
        var d = Mono16(Rows, Columns, new VoiWindow(2048, 4096));
        var frame = Radiograph(Rows, Columns);
        var (w, h) = ImageScaler.Fit(Columns, Rows, 128, 128);

        var full = ImageScaler.Resize(PixelRenderer.Render(d, frame, null), w, h);
        Assert.True(PixelSampling.TrySample(d, frame, PixelSampling.Step(Columns, Rows, w, h), out var sampled, out var sampledFrame));
        Assert.Equal((Rows / 4, Columns / 4), (sampled.Rows, sampled.Columns));
        var fast = ImageScaler.Resize(PixelRenderer.Render(sampled, sampledFrame, null), w, h);

        Assert.Equal((full.Width, full.Height), (fast.Width, fast.Height));
        var psnr = Psnr(full.Pixels, fast.Pixels);
        Assert.True(psnr > 30, $"PSNR {psnr:F1} dB");
        // The thin lines are still there: rows of the thumbnail over a line are brighter than those next to them.
        var lineRow = (int)Math.Round((97 * 5 + 1.5) * h / (double)Rows);
        var onLine = new[] { lineRow - 1, lineRow, lineRow + 1 }.Max(r => fast.Pixels[(r * w) + 10]);
        Assert.True(onLine > fast.Pixels[((lineRow + 3) * w) + 10] + 5, "a thin line vanished");
    }

    [Fact]
    public void TrySample_PlanarRgb_TakesEachPlaneApart()
    {
        // 8×8 RGB, planar configuration 1 (PS3.3 C.7.6.3.1.3): R plane, G plane, B plane; values encode plane, row, column.
        var d = new PixelDescription(8, 8, 3, 8, 8, 7, false, "RGB", 1, 1, 1, 0, null);
        var frame = new byte[8 * 8 * 3];
        for (var p = 0; p < 3; p++)
        {
            for (var i = 0; i < 64; i++)
            {
                frame[p * 64 + i] = (byte)(p * 64 + i);
            }
        }

        Assert.True(PixelSampling.TrySample(d, frame, 4, out var sampled, out var bytes));
        Assert.Equal((2, 2), (sampled.Rows, sampled.Columns));
        // Samples at rows and columns 2 and 6 of each plane.
        byte[] expected = [18, 22, 50, 54, 64 + 18, 64 + 22, 64 + 50, 64 + 54, 128 + 18, 128 + 22, 128 + 50, 128 + 54];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void TrySample_StepOneOrYbr422_NotSampled()
    {
        var d = Mono16(8, 8);
        Assert.False(PixelSampling.TrySample(d, new byte[128], 1, out _, out _));
        var ybr = new PixelDescription(8, 8, 3, 8, 8, 7, false, "YBR_FULL_422", 0, 1, 1, 0, null);
        Assert.False(PixelSampling.TrySample(ybr, new byte[8 * 8 * 2], 4, out _, out _));
    }
}
