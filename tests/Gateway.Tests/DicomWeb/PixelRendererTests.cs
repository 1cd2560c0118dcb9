using System.Buffers.Binary;
using Pacs.Dicom;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.DicomWeb.Rendering;

namespace Pacs.Gateway.Tests.DicomWeb;

/// <summary>Native frames to display values: rescale, windowing, MONOCHROME1, colour layouts; scaling; format choice.</summary>
public sealed class PixelRendererTests
{
    private static PixelDescription Mono(int bits, bool signed, string photometric = "MONOCHROME2", double slope = 1, double intercept = 0, VoiWindow? window = null,
        int rows = 1, int columns = 4, int bitsStored = -1) =>
        new(rows, columns, 1, bits, bitsStored < 0 ? bits : bitsStored, (bitsStored < 0 ? bits : bitsStored) - 1, signed, photometric, 0, 1, slope, intercept, window);

    private static byte[] Int16(params short[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), values[i]);
        }

        return bytes;
    }

    [Fact]
    public void Monochrome_SignedWithRescaleAndWindow_FollowsTheLinearVoiFunction()
    {
        // Stored -1000..1000 with slope 2, intercept -24: modality values -2024, -24, 976, 1976; window 0/2000.
        var d = Mono(16, signed: true, slope: 2, intercept: -24, window: new VoiWindow(0, 2000));
        var image = PixelRenderer.Render(d, Int16(-1000, 0, 500, 1000), null);
        Assert.Equal(0, image.Pixels[0]); // below the window
        Assert.InRange(image.Pixels[1], 124, 126); // -24 is just below the centre
        Assert.Equal(252, image.Pixels[2]); // ((976 + 0.5) / 1999 + 0.5) * 255 = 252.0
        Assert.Equal(255, image.Pixels[3]);
    }

    [Fact]
    public void Monochrome_RequestWindow_OverridesTheDatasetOne()
    {
        var d = Mono(16, signed: true, window: new VoiWindow(0, 2000));
        var image = PixelRenderer.Render(d, Int16(0, 100, 200, 300), new VoiWindow(150, 301));
        Assert.Equal(0, image.Pixels[0]);
        Assert.InRange(image.Pixels[1], 84, 87);
        Assert.InRange(image.Pixels[2], 168, 171);
        Assert.Equal(255, image.Pixels[3]);
    }

    [Fact]
    public void Monochrome_NoWindow_StretchesMinToMax()
    {
        var image = PixelRenderer.Render(Mono(8, signed: false), [10, 20, 30, 40], null);
        Assert.True(image.Pixels[0] < 5 && image.Pixels[3] > 250, string.Join(",", image.Pixels));
        Assert.True(image.Pixels[1] < image.Pixels[2]);
    }

    [Fact]
    public void Monochrome1_IsInverted()
    {
        var two = PixelRenderer.Render(Mono(8, signed: false), [0, 255, 0, 255], null);
        var one = PixelRenderer.Render(Mono(8, signed: false, "MONOCHROME1"), [0, 255, 0, 255], null);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(255 - two.Pixels[i], one.Pixels[i]);
        }
    }

    [Fact]
    public void Monochrome_BitsOutsideBitsStored_AreIgnoredAndSignExtended()
    {
        // 12 bits stored in 16 allocated, signed: 0xF800 has garbage in the top nibble; its 12-bit value is -2048.
        var d = Mono(16, signed: true, bitsStored: 12, window: new VoiWindow(0, 4096));
        var frame = new byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(frame, 0xF800);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(2), 0x07FF); // 2047
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(4), 0xA000); // garbage + 0
        var image = PixelRenderer.Render(d, frame, null);
        Assert.Equal(0, image.Pixels[0]);
        Assert.Equal(255, image.Pixels[1]);
        Assert.InRange(image.Pixels[2], 126, 129);
    }

    [Fact]
    public void Rgb_PlanarAndInterleaved_RenderTheSame()
    {
        byte[] interleaved = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
        byte[] planar = [255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30];
        var a = PixelRenderer.Render(new PixelDescription(2, 2, 3, 8, 8, 7, false, "RGB", 0, 1, 1, 0, null), interleaved, null);
        var b = PixelRenderer.Render(new PixelDescription(2, 2, 3, 8, 8, 7, false, "RGB", 1, 1, 1, 0, null), planar, null);
        Assert.Equal(interleaved, a.Pixels);
        Assert.Equal(interleaved, b.Pixels);
    }

    [Fact]
    public void Unsupported_Photometric_Throws() =>
        Assert.Throws<RenderingException>(() => PixelRenderer.Render(new PixelDescription(1, 1, 1, 8, 8, 7, false, "PALETTE COLOR", 0, 1, 1, 0, null), [1], null));

    [Fact]
    public async Task CtSmall_FromCorpus_RendersWithItsWindow()
    {
        var file = DicomFile.Open(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Corpus", "CT_small.dcm")));
        var d = PixelDescription.FromDataset(file.Dataset);
        Assert.Equal((128, 128, 16, true), (d.Rows, d.Columns, d.BitsAllocated, d.Signed));
        file.Dataset.TryGetElement(DicomTag.PixelData, out var pixelData);
        var image = PixelRenderer.Render(d, pixelData.Value.Span, null);
        Assert.Equal((128, 128, 1), (image.Width, image.Height, image.Channels));
        Assert.True(image.Pixels.Distinct().Count() > 50, "a windowed CT has many grey levels");
    }

    [Theory]
    [InlineData(512, 256, 128, 128, 128, 64)]
    [InlineData(256, 512, 128, 128, 64, 128)]
    [InlineData(100, 100, 300, 0, 300, 300)]
    [InlineData(100, 50, 0, 0, 100, 50)]
    public void Fit_KeepsAspectRatio(int w, int h, int vw, int vh, int ew, int eh) =>
        Assert.Equal((ew, eh), ImageScaler.Fit(w, h, vw, vh));

    [Fact]
    public void Resize_Down_AveragesAreas()
    {
        var source = new RenderedImage(4, 2, 1, [0, 100, 200, 200, 100, 200, 0, 0]);
        var half = ImageScaler.Resize(source, 2, 1);
        Assert.Equal([100, 100], half.Pixels);
    }

    [Fact]
    public void Resize_Up_KeepsAConstantImageConstantAndInterpolates()
    {
        var constant = ImageScaler.Resize(new RenderedImage(3, 3, 3, Enumerable.Repeat((byte)77, 27).ToArray()), 10, 7);
        Assert.All(constant.Pixels, p => Assert.Equal(77, p));
        var ramp = ImageScaler.Resize(new RenderedImage(2, 1, 1, [0, 200]), 4, 1);
        Assert.Equal([0, 50, 150, 200], ramp.Pixels);
    }

    [Theory]
    [InlineData(null, null, "jpeg")]
    [InlineData(null, "*/*", "jpeg")]
    [InlineData(null, "image/png", "png")]
    [InlineData(null, "image/png, image/jpeg;q=0.5", "png")]
    [InlineData(null, "image/png;q=0.4, image/*", "jpeg")]
    [InlineData(null, "text/html, image/png;q=0.9, */*;q=0.8", "png")]
    [InlineData("image/png", "image/jpeg", "png")]
    public void MediaType_FromAccept_ChoosesFormat(string? query, string? header, string expected)
    {
        Assert.True(RenderedMediaType.TryChoose(query, [header], out var format));
        Assert.Equal(expected, format == RenderedFormat.Png ? "png" : "jpeg");
    }

    [Theory]
    [InlineData("application/dicom")]
    [InlineData("image/jpeg;q=0, text/html")]
    public void MediaType_NothingRenderable_IsRefused(string header) =>
        Assert.False(RenderedMediaType.TryChoose(null, [header], out _));

    [Theory]
    [InlineData("image/jpeg;q=0")]
    [InlineData("multipart/related; type=\"image/png\"")]
    public void MediaType_OnlyRefusedOrMultipartRanges_IsRefused(string header) =>
        Assert.False(RenderedMediaType.TryChoose(null, [header], out _));

    [Theory]
    [InlineData("40,400", true)]
    [InlineData("40.5,400,linear", true)]
    [InlineData("40", false)]
    [InlineData("a,b", false)]
    [InlineData("40,0", false)]
    public void Window_Parameter_IsParsed(string text, bool ok) => Assert.Equal(ok, RenderedEndpoints.TryParseWindow(text, out _));

    [Fact]
    public void Part10Prefix_ReadsBackAsAMetaHeader()
    {
        var prefix = RetrieveResource.Part10Prefix("1.2.840.10008.5.1.4.1.1.2", "1.2.3.4", DicomTransferSyntax.ImplicitVRLittleEndian);
        var data = new DicomDataset();
        data.SetString(DicomTag.PatientID, DicomVR.LO, "P1");
        var file = DicomFile.Open(prefix.Concat(Pacs.Dicom.IO.DicomWriter.ToBytes(data, DicomTransferSyntax.ImplicitVRLittleEndian)).ToArray());
        Assert.Equal(DicomTransferSyntax.ImplicitVRLittleEndian, file.TransferSyntax);
        Assert.Equal("1.2.3.4", file.FileMetaInformation.GetString(DicomTag.MediaStorageSOPInstanceUID));
        Assert.Equal("P1", file.Dataset.GetString(DicomTag.PatientID));
    }
}
