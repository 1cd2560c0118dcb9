using Pacs.Dicom;
using Pacs.Gateway.DicomWeb;

namespace Pacs.Gateway.Tests.DicomWeb;

public sealed class PixelDataLayoutTests
{
    [Theory]
    [InlineData(0, 1000L, 512L * 512 * 2)]
    [InlineData(2, 1000L + 2L * 512 * 512 * 2, 512L * 512 * 2)]
    public void NativeFrame_16BitMonochrome_OffsetsFollowFrameSize(int frame, long offset, long length)
    {
        var range = PixelDataLayout.NativeFrame(frame, 512, 512, 1, 16, new BlobRange(1000, 3L * 512 * 512 * 2));
        Assert.Equal(new BlobRange(offset, length), range);
    }

    [Fact]
    public void NativeFrame_Rgb8Bit_ThreeBytesPerPixel()
    {
        var range = PixelDataLayout.NativeFrame(1, 100, 100, 3, 8, new BlobRange(0, 2 * 30_000));
        Assert.Equal(new BlobRange(30_000, 30_000), range);
    }

    [Fact]
    public void NativeFrame_BeyondValue_Null() =>
        Assert.Null(PixelDataLayout.NativeFrame(3, 10, 10, 1, 16, new BlobRange(0, 3 * 200)));

    [Fact]
    public void NativeFrame_OneBitFramesOnByteBoundary_Packed()
    {
        // PS3.5 8.1.1: 1-bit frames are packed; 8x8 = 64 bits = 8 bytes per frame.
        Assert.Equal(new BlobRange(16, 8), PixelDataLayout.NativeFrame(2, 8, 8, 1, 1, new BlobRange(0, 24)));
        // 3x3 = 9 bits: frame 1 starts mid-byte.
        Assert.Null(PixelDataLayout.NativeFrame(1, 3, 3, 1, 1, new BlobRange(0, 3)));
    }

    [Fact]
    public void FragmentsOfFrames_OneFragmentPerFrame_WithoutTable()
    {
        var map = PixelDataLayout.FragmentsOfFrames([10, 20, 30], null, 3)!;
        Assert.Equal([[0], [1], [2]], map);
    }

    [Fact]
    public void FragmentsOfFrames_SingleFrameManyFragments_AllFragments()
    {
        var map = PixelDataLayout.FragmentsOfFrames([10, 20, 30], null, 1)!;
        Assert.Equal([[0, 1, 2]], map);
    }

    [Fact]
    public void FragmentsOfFrames_BasicOffsetTable_GroupsByItemOffsets()
    {
        // Frame 0: fragments 0 and 1 (8+10 + 8+20 = 46 bytes), frame 1: fragment 2.
        var map = PixelDataLayout.FragmentsOfFrames([10, 20, 30], [0, 46], 2)!;
        Assert.Equal([[0, 1], [2]], map);
    }

    [Fact]
    public void FragmentsOfFrames_MoreFragmentsThanFramesNoTable_Null() =>
        Assert.Null(PixelDataLayout.FragmentsOfFrames([10, 20, 30], null, 2));

    [Fact]
    public void FragmentsOfFrames_TableCountDisagrees_Null() =>
        Assert.Null(PixelDataLayout.FragmentsOfFrames([10, 20, 30], [0, 18, 46], 2));

    [Fact]
    public void FragmentsOfFramesByStarts_FramesSpanningFragments_GroupedAtEachCodestreamStart()
    {
        // Three frames in five fragments, no offset table (PS3.5 A.4): frame 2 spans fragments 1-3.
        var groups = PixelDataLayout.FragmentsOfFramesByStarts([true, true, false, false, true], 3)!;
        Assert.Equal([[0], [1, 2, 3], [4]], groups);
        Assert.Null(PixelDataLayout.FragmentsOfFramesByStarts([true, true, false], 3)); // two starts for three frames
        Assert.Null(PixelDataLayout.FragmentsOfFramesByStarts([false, true, true], 2)); // data before the first frame
        Assert.Null(PixelDataLayout.FragmentsOfFramesByStarts([], 1));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xC3 }, true)] // JPEG lossless SOI + SOF3
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xF7 }, true)] // JPEG-LS SOI + SOF55
    [InlineData(new byte[] { 0xFF, 0x4F, 0xFF, 0x51, 0x00 }, true)] // J2K SOC + SIZ
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20 }, true)] // JP2 signature box
    [InlineData(new byte[] { 0x12, 0xD8, 0xFF, 0xC3 }, false)] // the middle of an entropy-coded segment
    [InlineData(new byte[] { 0xFF, 0xD8 }, false)]
    public void IsCodestreamStart_KnownSignatures(byte[] head, bool expected) =>
        Assert.Equal(expected, PixelDataLayout.IsCodestreamStart(head));

    [Fact]
    public void SwapInPlace_Words_BigToLittle()
    {
        byte[] data = [0x12, 0x34, 0xAB, 0xCD];
        PixelDataLayout.SwapInPlace(data, 2);
        Assert.Equal([0x34, 0x12, 0xCD, 0xAB], data);
    }

    [Theory]
    [InlineData("1.2.840.10008.1.2", "application/octet-stream", "1.2.840.10008.1.2.1")]
    [InlineData("1.2.840.10008.1.2.2", "application/octet-stream", "1.2.840.10008.1.2.1")]
    [InlineData("1.2.840.10008.1.2.4.50", "image/jpeg", "1.2.840.10008.1.2.4.50")]
    [InlineData("1.2.840.10008.1.2.4.70", "image/jpeg", "1.2.840.10008.1.2.4.70")]
    [InlineData("1.2.840.10008.1.2.4.80", "image/jls", "1.2.840.10008.1.2.4.80")]
    [InlineData("1.2.840.10008.1.2.4.90", "image/jp2", "1.2.840.10008.1.2.4.90")]
    [InlineData("1.2.840.10008.1.2.4.92", "image/jpx", "1.2.840.10008.1.2.4.92")]
    [InlineData("1.2.840.10008.1.2.4.201", "image/jphc", "1.2.840.10008.1.2.4.201")]
    [InlineData("1.2.840.10008.1.2.4.110", "image/jxl", "1.2.840.10008.1.2.4.110")]
    [InlineData("1.2.840.10008.1.2.5", "image/dicom-rle", "1.2.840.10008.1.2.5")]
    [InlineData("1.2.840.10008.1.2.4.100", "video/mpeg", "1.2.840.10008.1.2.4.100")]
    [InlineData("1.2.840.10008.1.2.4.102", "video/mp4", "1.2.840.10008.1.2.4.102")]
    [InlineData("1.2.840.10008.1.2.4.107", "video/H265", "1.2.840.10008.1.2.4.107")]
    public void ForFrames_MediaTypePerStoredSyntax(string stored, string mediaType, string syntax)
    {
        var r = PixelMediaTypes.ForFrames(DicomTransferSyntax.Resolve(stored));
        Assert.Equal(new Representation(mediaType, syntax), r);
    }
}
