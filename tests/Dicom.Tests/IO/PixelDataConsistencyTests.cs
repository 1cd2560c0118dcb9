using Pacs.Dicom.IO;

namespace Pacs.Dicom.Tests.IO;

public sealed class PixelDataConsistencyTests
{
    private static DicomDataset Header(ushort rows, ushort columns, ushort bitsAllocated, ushort samples = 1, string photometric = "MONOCHROME2", int frames = 1)
    {
        var header = new DicomDataset();
        header.SetUInt16(DicomTag.SamplesPerPixel, DicomVR.US, samples);
        header.SetString(DicomTag.PhotometricInterpretation, DicomVR.CS, photometric);
        if (frames != 1)
        {
            header.SetString(DicomTag.NumberOfFrames, DicomVR.IS, frames.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        header.SetUInt16(DicomTag.Rows, DicomVR.US, rows);
        header.SetUInt16(DicomTag.Columns, DicomVR.US, columns);
        header.SetUInt16(DicomTag.BitsAllocated, DicomVR.US, bitsAllocated);
        return header;
    }

    private static DicomDataset Native(DicomTag tag, DicomVR vr, long length)
    {
        var rest = new DicomDataset();
        rest.Set(new DicomElement(tag, vr, new BulkDataReference(1000, length)));
        return rest;
    }

    private static DicomDataset Fragments(int count)
    {
        var rest = new DicomDataset();
        var items = Enumerable.Range(0, count).Select(_ => new DicomFragment(new byte[] { 1, 2 })).ToList();
        rest.Set(new DicomElement(DicomTag.PixelData, DicomVR.OB, new DicomFragments(default, items)));
        return rest;
    }

    [Theory]
    [InlineData(64, 64, 16, 1, "MONOCHROME2", 1, 8192)]
    [InlineData(64, 64, 8, 3, "RGB", 2, 24576)]
    // PS3.3 C.7.6.3.1.2: YBR_FULL_422 native is two samples per pixel.
    [InlineData(100, 100, 8, 3, "YBR_FULL_422", 1, 20000)]
    // PS3.5 8.1.1: 1-bit frames are packed one after another, the total rounded up to a byte.
    [InlineData(3, 3, 1, 1, "MONOCHROME2", 3, 4)]
    [InlineData(5, 5, 1, 1, "MONOCHROME2", 1, 4)]
    public void ExpectedNativeLength_ImageAttributes_BytesTheStandardGives(int rows, int columns, int bits, int samples, string photometric, int frames, long expected)
    {
        Assert.Equal((Int128)expected, PixelDataConsistency.ExpectedNativeLength(rows, columns, samples, bits, frames, photometric));
    }

    [Theory]
    [InlineData(8192, true)]
    [InlineData(8193, true)] // padded or longer: consistent
    [InlineData(8191, false)]
    [InlineData(0, false)]
    public void FindProblem_NativePixelDataOfLength_RefusedWhenShorterThanTheImage(long length, bool consistent)
    {
        var problem = PixelDataConsistency.FindProblem(Header(64, 64, 16), Native(DicomTag.PixelData, DicomVR.OW, length), DicomTransferSyntax.ExplicitVRLittleEndian);

        Assert.Equal(consistent, problem is null);
        if (problem is not null)
        {
            Assert.InRange(problem.Length, 1, 64); // fits a DIMSE Error Comment (LO)
        }
    }

    [Fact]
    public void FindProblem_OneBitMultiFrameExactlyPacked_Consistent()
    {
        // 3 frames of 3x3 1-bit pixels: 27 bits, 4 bytes (frames are not byte-aligned), padded to 4.
        Assert.Null(PixelDataConsistency.FindProblem(Header(3, 3, 1, frames: 3), Native(DicomTag.PixelData, DicomVR.OB, 4), DicomTransferSyntax.ExplicitVRLittleEndian));
        Assert.NotNull(PixelDataConsistency.FindProblem(Header(3, 3, 1, frames: 3), Native(DicomTag.PixelData, DicomVR.OB, 2), DicomTransferSyntax.ExplicitVRLittleEndian));
    }

    [Fact]
    public void FindProblem_YbrFull422NativeAtTwoThirdsOfRgbSize_Consistent()
    {
        var header = Header(100, 100, 8, samples: 3, photometric: "YBR_FULL_422");
        Assert.Null(PixelDataConsistency.FindProblem(header, Native(DicomTag.PixelData, DicomVR.OB, 20000), DicomTransferSyntax.ExplicitVRLittleEndian));
        Assert.NotNull(PixelDataConsistency.FindProblem(header, Native(DicomTag.PixelData, DicomVR.OB, 19998), DicomTransferSyntax.ExplicitVRLittleEndian));
    }

    [Theory]
    [InlineData(0x7FE00008u, 32)]
    [InlineData(0x7FE00009u, 64)]
    public void FindProblem_FloatPixelData_SizedByItsOwnBitsWhateverBitsAllocatedSays(uint tag, int bits)
    {
        // Bits Allocated 16 (wrong for float data) must not make a short float value look complete.
        var header = Header(10, 10, 16);
        var needed = 10 * 10 * bits / 8;
        var vr = bits == 32 ? DicomVR.OF : DicomVR.OD;
        Assert.Null(PixelDataConsistency.FindProblem(header, Native(new DicomTag(tag), vr, needed), DicomTransferSyntax.ExplicitVRLittleEndian));
        Assert.NotNull(PixelDataConsistency.FindProblem(header, Native(new DicomTag(tag), vr, needed - 8), DicomTransferSyntax.ExplicitVRLittleEndian));
    }

    [Fact]
    public void FindProblem_ImageAttributesMissing_NotChecked()
    {
        Assert.Null(PixelDataConsistency.FindProblem(new DicomDataset(), Native(DicomTag.PixelData, DicomVR.OW, 2), DicomTransferSyntax.ExplicitVRLittleEndian));
    }

    [Theory]
    [InlineData(0, 1, false)]
    [InlineData(1, 1, true)]
    [InlineData(2, 3, false)]
    [InlineData(3, 3, true)]
    [InlineData(4, 3, true)]
    public void FindProblem_EncapsulatedFragmentsForFrames_EveryFrameNeedsOne(int fragments, int frames, bool consistent)
    {
        var problem = PixelDataConsistency.FindProblem(Header(64, 64, 8, frames: frames), Fragments(fragments), DicomTransferSyntax.JPEG2000Lossless);

        Assert.Equal(consistent, problem is null);
    }

    [Fact]
    public void FindProblem_VideoWithOneFragmentForManyFrames_Consistent()
    {
        Assert.Null(PixelDataConsistency.FindProblem(Header(64, 64, 8, frames: 30), Fragments(1), DicomTransferSyntax.MPEG4HP41));
    }
}
