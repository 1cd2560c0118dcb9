using System.Security.Cryptography;
using Pacs.Dicom.Codecs;
using Pacs.Dicom.Tests.Corpus;
using Xunit;

namespace Pacs.Dicom.Tests.Codecs;

/// <summary>
/// Every decoder on pydicom's compressed corpus (and a few files dcmtk made, Codecs/Data/README.md): lossless syntaxes
/// decode to exactly the pixels of the uncompressed reference (MR_small.dcm) or of dcmtk's own decoders (SHA-256 of
/// the Pixel Data); lossy ones within a stated tolerance of dcmtk's decoding.
/// </summary>
public sealed class FrameDecoderCorpusTests
{
    private const string MrSmall = "88617aaa46138fb1b6e2a951e762d962382354d69f47f8c04d4abff2f6a6a63e";
    private const string ScRgb = "169e619557b12114a7f0be8602026e9abb3d5045804311736ec14cecb026aca9";
    private const string ScRgb2Frame = "026dac3bc332e46b5ddc4cda3d990ac5a423dad4cb4134262b1a7cc1f2106c6c";

    public static TheoryData<string, string> Lossless => new()
    {
        { "MR_small_RLE.dcm", MrSmall },
        { "MR_small_jpeg_ls_lossless.dcm", MrSmall },
        { "MR_small_jp2klossless.dcm", MrSmall },
        { "SC_rgb_rle.dcm", ScRgb },
        { "SC_rgb_rle_2frame.dcm", ScRgb2Frame },
        { "SC_rgb_rle_16bit.dcm", "36de0258708d3af79cf989c0ab2cbbf861afe927799cdfd0fef36fca3b3aa058" },
        { "SC_rgb_rle_16bit_2frame.dcm", "d7e2338dd240b58cd8ca13452ab8f21fa3e0779575eda0677568b5ce88247271" },
        { "SC_rgb_rle_32bit.dcm", "1a243c9351e3a9aeadbe667627e8bae4d38950bf570c2fadab4fef93f766aafa" },
        { "SC_rgb_rle_32bit_2frame.dcm", "3caa80cc3032f7457d4509766be96484cbcdd628334b1aecad249d6a41998575" },
        { "rtdose_rle.dcm", "e30a4288ac22902293b3b0144d9cd7866d43a96e2e5cf3ec59c6f78595c3a125" },
        { "rtdose_rle_1frame.dcm", "67f96b3373d7acf18a7ea33d8c9a0e0a9d63bd62acce734b7531341bb332daec" },
        { "SC_rgb_jpeg_gdcm.dcm", ScRgb }, // JPEG lossless SV1, RGB
        { "Data/MR_small_jpeg_lossless_sv1.dcm", MrSmall },
        { "Data/MR_small_jpeg_lossless_sv6.dcm", MrSmall },
        { "Data/SC_rgb_jpeg_lossless_sv7_2frame.dcm", ScRgb2Frame },
        { "Data/SC_rgb_jpeg_ls_2frame.dcm", ScRgb2Frame },
    };

    [Theory]
    [MemberData(nameof(Lossless))]
    public void Decode_LosslessFile_EqualsReferencePixels(string name, string sha256)
    {
        var (pixels, _) = DecodeAll(name);
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(pixels)));
    }

    [Fact]
    public void Decode_BaselineJpeg_WithinTwoOfDcmtk()
    {
        // Lossy: IDCT and upsampling differ between decoders by rounding; dcmtk's own output without colour conversion
        // (YBR_FULL) is the reference. Tolerance: every sample within 2, mean difference below 0.5.
        var (pixels, syntax) = DecodeAll("SC_rgb_jpeg_dcmtk.dcm");
        Assert.Equal(DicomTransferSyntax.JPEGBaseline8Bit.Uid, syntax.Uid);
        var reference = DicomFile.Open(File.ReadAllBytes(PathOf("Data/SC_rgb_jpeg_dcmtk_dcmdjpeg_cn.dcm"))).Dataset.TryGetElement(DicomTag.PixelData, out var e) ? e.Value.Span : default;
        Assert.Equal(reference.Length, pixels.Length);
        long total = 0;
        for (var i = 0; i < pixels.Length; i++)
        {
            var d = Math.Abs(pixels[i] - reference[i]);
            Assert.True(d <= 2, $"sample {i}: {pixels[i]} vs dcmtk {reference[i]}");
            total += d;
        }

        Assert.True(total / (double)pixels.Length < 0.5);
    }

    [Fact]
    public void Decode_ExtendedJpeg12Bit_MatchesDcmtkStatistics()
    {
        // JPGExtended.dcm (process 4, 12 bits): dcmdjpeg gives mean 14.37, min 0, max 264 over its 1024x256 pixels.
        var (pixels, _) = DecodeAll("JPGExtended.dcm");
        Assert.Equal(1024 * 256 * 2, pixels.Length);
        var values = Enumerable.Range(0, pixels.Length / 2).Select(i => pixels[i * 2] | pixels[i * 2 + 1] << 8).ToArray();
        Assert.InRange(values.Average(), 14.37 - 0.2, 14.37 + 0.2);
        Assert.InRange(values.Min(), 0, 2);
        Assert.InRange(values.Max(), 262, 266);
    }

    [Theory]
    [InlineData("JPEG2000.dcm")]
    [InlineData("693_J2KI.dcm")]
    [InlineData("GDCMJ2K_TextGBR.dcm")]
    [InlineData("J2K_pixelrep_mismatch.dcm")]
    public void Decode_Jpeg2000WithoutReference_FillsTheFrameWithinBitsStored(string name)
    {
        // No uncompressed twin in the corpus: the frame decodes to the data set's size, is not blank, and (unsigned
        // data) no sample exceeds Bits Stored.
        var (pixels, _) = DecodeAll(name);
        var ds = Open(name);
        var g = FrameGeometry.FromDataset(ds)!.Value;
        Assert.Equal(g.Length, pixels.Length);
        Assert.Contains(pixels, b => b != 0);
        if (!g.Signed && g.BitsAllocated == 16)
        {
            for (var i = 0; i < pixels.Length; i += 2)
            {
                Assert.True((pixels[i] | pixels[i + 1] << 8) < 1 << g.BitsStored);
            }
        }
    }

    [Theory]
    [InlineData("MR_small_RLE.dcm")]
    [InlineData("MR_small_jpeg_ls_lossless.dcm")]
    [InlineData("MR_small_jp2klossless.dcm")]
    [InlineData("Data/MR_small_jpeg_lossless_sv1.dcm")]
    public void Decode_TruncatedOrCorrupted_ThrowsFormatExceptionNeverMore(string name)
    {
        var ds = Open(name);
        var syntax = SyntaxOf(name);
        var decoder = FrameDecoders.Find(syntax)!;
        var geometry = FrameGeometry.FromDataset(ds)!.Value;
        var frame = Frames(ds)[0];
        // Cut at several points and with bytes overwritten: a format error or, where the codec recovers, a frame of
        // exactly the expected size; never a crash or a larger buffer.
        foreach (var cut in new[] { 0, 1, 2, 10, 64, frame.Length / 2, frame.Length - 1 })
        {
            Check(() => decoder.Decode(frame.AsMemory(0, cut), geometry), geometry);
        }

        var rng = new Random(17);
        for (var round = 0; round < 20; round++)
        {
            var damaged = frame.ToArray();
            for (var k = 0; k < 8; k++)
            {
                damaged[rng.Next(damaged.Length)] = (byte)rng.Next(256);
            }

            Check(() => decoder.Decode(damaged, geometry), geometry);
        }

        // A data set that claims a larger image than the codestream holds is refused before decoding.
        var larger = geometry with { Rows = geometry.Rows * 2 };
        Assert.Throws<DicomFormatException>(() => decoder.Decode(frame, larger));
    }

    [Fact]
    public void FrameDecoders_NativeAndVideoSyntaxes_HaveNoDecoder()
    {
        Assert.Null(FrameDecoders.Find(DicomTransferSyntax.ExplicitVRLittleEndian));
        Assert.Null(FrameDecoders.Find(DicomTransferSyntax.MPEG4HP41));
        Assert.NotNull(FrameDecoders.Find(DicomTransferSyntax.HTJ2K));
        Assert.Equal("RGB", FrameDecoders.DecodedPhotometric(DicomTransferSyntax.JPEG2000Lossless, "YBR_RCT"));
        Assert.Equal("YBR_FULL", FrameDecoders.DecodedPhotometric(DicomTransferSyntax.JPEGBaseline8Bit, "YBR_FULL_422"));
        Assert.Equal("YBR_FULL", FrameDecoders.DecodedPhotometric(DicomTransferSyntax.RLELossless, "YBR_FULL"));
    }

    private static void Check(Func<byte[]> decode, FrameGeometry geometry)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            Assert.Equal(geometry.Length, decode().Length);
        }
        catch (DicomFormatException)
        {
            // the expected answer to a broken codestream
        }

        // CharLS 2.4 took 34 s on MR_small_jpeg_ls_lossless.dcm cut in half before the EOI check: a bound, generous
        // for a loaded machine, on what one broken 64x64 frame may cost.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"decoding a broken frame took {sw.Elapsed}");
    }

    private static (byte[] Pixels, DicomTransferSyntax Syntax) DecodeAll(string name)
    {
        var ds = Open(name);
        var syntax = SyntaxOf(name);
        var decoder = FrameDecoders.Find(syntax) ?? throw new InvalidOperationException($"no decoder for {syntax.Uid}");
        var geometry = FrameGeometry.FromDataset(ds)!.Value;
        using var all = new MemoryStream();
        foreach (var frame in Frames(ds))
        {
            all.Write(decoder.Decode(frame, geometry));
        }

        return (all.ToArray(), syntax);
    }

    /// <summary>The frames of encapsulated Pixel Data: one fragment each when the counts agree, else all of them for one frame.</summary>
    private static List<byte[]> Frames(DicomDataset ds)
    {
        Assert.True(ds.TryGetElement(DicomTag.PixelData, out var pixelData));
        var fragments = pixelData.Fragments!.Items;
        var frames = Math.Max(1, ds.GetInt32(DicomTag.NumberOfFrames) ?? 1);
        if (fragments.Count == frames)
        {
            return fragments.Select(f => f.Data.ToArray()).ToList();
        }

        Assert.Equal(1, frames);
        return [fragments.SelectMany(f => f.Data.ToArray()).ToArray()];
    }

    private static string PathOf(string name) => name.StartsWith("Data/", StringComparison.Ordinal)
        ? Path.Combine(AppContext.BaseDirectory, "Codecs", name)
        : CorpusFiles.PathOf(name);

    private static DicomDataset Open(string name) => DicomFile.Open(File.ReadAllBytes(PathOf(name))).Dataset;

    private static DicomTransferSyntax SyntaxOf(string name) => DicomFile.Open(File.ReadAllBytes(PathOf(name))).TransferSyntax;
}
