using System.Text;
using Pacs.Gateway.DicomWeb.Rendering;

namespace Pacs.Gateway.Tests.DicomWeb;

/// <summary>Our PNG and baseline JPEG writers, decoded back by an independent decoder (PIL).</summary>
public sealed class ImageEncoderTests
{
    /// <summary>A smooth gradient with a sharp-edged square and a line: what a CT slice has.</summary>
    private static RenderedImage TestImage(int width, int height, int channels)
    {
        var pixels = new byte[width * height * channels];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var inside = x > width / 4 && x < width / 2 && y > height / 4 && y < height / 2;
                for (var c = 0; c < channels; c++)
                {
                    var v = inside ? 230 - 40 * c : (x * 255 / Math.Max(1, width - 1) + y * (c + 1) * 3) % 256;
                    if (y == height * 3 / 4)
                    {
                        v = 20;
                    }

                    pixels[(y * width + x) * channels + c] = (byte)v;
                }
            }
        }

        return new RenderedImage(width, height, channels, pixels);
    }

    [Fact]
    public void Crc32_CheckValue_MatchesTheStandard() =>
        // The CRC-32 check value of "123456789" (ISO 3309 / PNG).
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(37, 23, 1)]
    [InlineData(256, 256, 1)]
    [InlineData(1, 1, 3)]
    [InlineData(37, 23, 3)]
    [InlineData(200, 120, 3)]
    public async Task Png_DecodedByPil_IsLossless(int width, int height, int channels)
    {
        var image = TestImage(width, height, channels);
        var decoded = await ImageDecoder.DecodeAsync(PngEncoder.Encode(image));
        Assert.Equal("PNG", decoded.Format);
        Assert.Equal(channels == 1 ? "L" : "RGB", decoded.Mode);
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        Assert.Equal(image.Pixels, decoded.Pixels);
    }

    [Theory]
    [InlineData(8, 8, 1)]
    [InlineData(37, 23, 1)]
    [InlineData(512, 512, 1)]
    [InlineData(1, 1, 3)]
    [InlineData(37, 23, 3)]
    [InlineData(200, 120, 3)]
    public async Task Jpeg_DecodedByPil_IsCloseToTheSource(int width, int height, int channels)
    {
        var image = TestImage(width, height, channels);
        var jpeg = JpegEncoder.Encode(image, 90);
        Assert.Equal([0xFF, 0xD8], jpeg[..2]);
        Assert.Equal([0xFF, 0xD9], jpeg[^2..]);
        var decoded = await ImageDecoder.DecodeAsync(jpeg);
        Assert.Equal("JPEG", decoded.Format);
        Assert.Equal(channels == 1 ? "L" : "RGB", decoded.Mode);
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        var psnr = ImageDecoder.Psnr(image.Pixels, decoded.Pixels);
        Assert.True(psnr > 30, $"PSNR {psnr:F1} dB");
    }

    [Fact]
    public async Task Jpeg_HigherQuality_IsCloserAndLarger()
    {
        var image = TestImage(128, 96, 3);
        var low = JpegEncoder.Encode(image, 30);
        var high = JpegEncoder.Encode(image, 98);
        Assert.True(high.Length > low.Length);
        var lowPsnr = ImageDecoder.Psnr(image.Pixels, (await ImageDecoder.DecodeAsync(low)).Pixels);
        var highPsnr = ImageDecoder.Psnr(image.Pixels, (await ImageDecoder.DecodeAsync(high)).Pixels);
        Assert.True(highPsnr > lowPsnr + 5, $"{lowPsnr:F1} vs {highPsnr:F1}");
        Assert.True(highPsnr > 40, $"{highPsnr:F1}");
    }

    [Fact]
    public async Task Jpeg_AllWhiteAndAllBlack_NeedByteStuffingAndDecode()
    {
        // Saturated blocks produce 0xFF bytes in the entropy-coded data, which must be stuffed (T.81 F.1.2.3).
        foreach (var value in new byte[] { 0, 255 })
        {
            var pixels = new byte[64 * 48];
            Array.Fill(pixels, value);
            var decoded = await ImageDecoder.DecodeAsync(JpegEncoder.Encode(new RenderedImage(64, 48, 1, pixels)));
            Assert.All(decoded.Pixels, p => Assert.InRange(p, value - 2, value + 2));
        }
    }

    [Fact]
    public void HuffmanTables_CountsMatchValues()
    {
        Assert.Equal(JpegEncoder.DcLuminanceValues.Length, JpegEncoder.DcLuminanceBits.Sum(b => b));
        Assert.Equal(JpegEncoder.DcChrominanceValues.Length, JpegEncoder.DcChrominanceBits.Sum(b => b));
        Assert.Equal(162, JpegEncoder.AcLuminanceBits.Sum(b => b));
        Assert.Equal(162, JpegEncoder.AcLuminanceValues.Length);
        Assert.Equal(162, JpegEncoder.AcChrominanceBits.Sum(b => b));
        Assert.Equal(162, JpegEncoder.AcChrominanceValues.Distinct().Count());
        Assert.Equal(64, JpegEncoder.ZigZag.Distinct().Count());
    }
}
