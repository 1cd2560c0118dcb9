using System.Buffers;
using Pacs.Dicom.IO;
using Pacs.Dicom.Tests.Corpus;

namespace Pacs.Dicom.Tests.IO;

public sealed class DicomReaderCorpusTests
{
    public static TheoryData<string> Files => CorpusFiles.Names();
    public static TheoryData<string> AllFiles => CorpusFiles.Names(includeBroken: true);

    [Theory]
    [MemberData(nameof(Files))]
    public void ReadFile_CorpusFile_ParsesToTheEnd(string name)
    {
        var bytes = File.ReadAllBytes(CorpusFiles.PathOf(name));
        var result = DicomReader.ReadFile(bytes);
        Assert.True(result.Dataset.Count > 0, $"{name}: no elements");
        if (!result.TransferSyntax.IsDeflated)
        {
            Assert.Equal(bytes.Length, result.EndOffset);
        }
    }

    [Theory]
    [InlineData("MR_truncated.dcm")]
    [InlineData("rtplan_truncated.dcm")]
    [InlineData("no_meta.dcm")]
    public void ReadFile_BrokenFile_ThrowsTypedExceptionWithOffset(string name)
    {
        var bytes = File.ReadAllBytes(CorpusFiles.PathOf(name));
        var e = Assert.Throws<DicomFormatException>(() => DicomReader.ReadFile(bytes));
        Assert.InRange(e.Offset, 0, bytes.Length);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void WriteThenRead_EachNativeSyntax_SameValues(string name)
    {
        var original = DicomReader.ReadFile(File.ReadAllBytes(CorpusFiles.PathOf(name)));
        var syntaxes = original.TransferSyntax.IsEncapsulated
            ? [original.TransferSyntax]
            : new[]
            {
                DicomTransferSyntax.ImplicitVRLittleEndian, DicomTransferSyntax.ExplicitVRLittleEndian,
                DicomTransferSyntax.ExplicitVRBigEndian, DicomTransferSyntax.DeflatedExplicitVRLittleEndian,
            };
        foreach (var syntax in syntaxes)
        {
            var file = DicomFile.Create(original.Dataset, syntax);
            var bytes = file.ToBytes();
            var reread = DicomReader.ReadFile(bytes);
            Assert.Equal(syntax.Uid, reread.TransferSyntax.Uid);
            DatasetAssert.Equivalent(original.Dataset, reread.Dataset, implicitVR: !syntax.IsExplicitVR, context: $"{name} as {syntax.Name}");

            // A second write of what was read back is byte-identical: the writer is stable.
            Assert.Equal(bytes, DicomFile.Create(reread.Dataset, syntax).ToBytes());
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task ReadFileAsync_StreamInSmallChunks_SameAsInMemory(string name)
    {
        var bytes = File.ReadAllBytes(CorpusFiles.PathOf(name));
        var expected = DicomReader.ReadFile(bytes);
        await using var stream = new TrickleStream(bytes, chunk: 7);
        var actual = await DicomReader.ReadFileAsync(stream);
        Assert.Equal(expected.TransferSyntax.Uid, actual.TransferSyntax.Uid);
        DatasetAssert.Equivalent(expected.Dataset, actual.Dataset, implicitVR: false, context: name);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task ReadFileAsync_StopAtPixelData_ReportsPixelDataOffset(string name)
    {
        var bytes = File.ReadAllBytes(CorpusFiles.PathOf(name));
        var full = DicomReader.ReadFile(bytes);
        await using var stream = new TrickleStream(bytes, chunk: 4096);
        var header = await DicomReader.ReadFileAsync(stream, DicomReadOptions.HeaderOnly);
        var hasPixels = full.Dataset.Contains(DicomTag.PixelData);
        Assert.Equal(hasPixels, header.StoppedAtPixelData);
        Assert.False(header.Dataset.Contains(DicomTag.PixelData));
        if (hasPixels && !full.TransferSyntax.IsDeflated)
        {
            // The reported offset is where the Pixel Data tag starts in the file.
            var tagBytes = full.TransferSyntax.IsBigEndian ? new byte[] { 0x7F, 0xE0, 0x00, 0x10 } : [0xE0, 0x7F, 0x10, 0x00];
            Assert.Equal(tagBytes, bytes.AsSpan((int)header.EndOffset, 4).ToArray());
        }
    }

    [Fact]
    public async Task ReadFile_SplitAtEveryOffsetThroughStream_SameResult()
    {
        var bytes = File.ReadAllBytes(CorpusFiles.PathOf("rtplan.dcm"));
        var expected = DicomReader.ReadFile(bytes);
        var parsed = 0;
        for (var split = 1; split < bytes.Length; split += 37)
        {
            await using var stream = new TrickleStream(bytes, chunk: split);
            var actual = await DicomReader.ReadFileAsync(stream);
            DatasetAssert.Equivalent(expected.Dataset, actual.Dataset, implicitVR: false, context: $"split {split}");
            parsed++;
        }
        Assert.True(parsed > 10);
    }

    [Fact]
    public void ReadFile_BulkThreshold_PixelDataReportedAsOffsetAndLength()
    {
        var bytes = File.ReadAllBytes(CorpusFiles.PathOf("CT_small.dcm"));
        var result = DicomReader.ReadFile(bytes, new DicomReadOptions { BulkDataThreshold = 1024 });
        Assert.True(result.Dataset.TryGetElement(DicomTag.PixelData, out var pixel));
        var bulk = Assert.IsType<BulkDataReference>(pixel.Payload);
        Assert.Equal(128 * 128 * 2, bulk.Length);
        var full = DicomReader.ReadFile(bytes);
        Assert.True(full.Dataset.TryGetElement(DicomTag.PixelData, out var loaded));
        Assert.Equal(loaded.Value.ToArray(), bytes.AsSpan((int)bulk.Offset, (int)bulk.Length).ToArray());
    }
}
