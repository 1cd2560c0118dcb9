using Pacs.Dicom.IO;
using Pacs.Dicom.Tests.Corpus;

namespace Pacs.Dicom.Tests.IO;

public sealed class DicomStreamReaderTests
{
    public static TheoryData<string> Files => CorpusFiles.Names();

    /// <summary>The bare data set of a corpus file (what a C-STORE carries) and its transfer syntax.</summary>
    private static (byte[] DataSet, DicomTransferSyntax Syntax) BareDataSet(string name)
    {
        var bytes = File.ReadAllBytes(CorpusFiles.PathOf(name));
        var parsed = DicomReader.ReadFile(bytes, DicomReadOptions.HeaderOnly);
        return (bytes.AsSpan((int)parsed.DatasetOffset).ToArray(), parsed.TransferSyntax);
    }

    private static async Task<(DicomReadResult Header, DicomDataset Tail)> ReadAsync(byte[] dataSet, DicomTransferSyntax syntax, int chunk = 4096)
    {
        await using var reader = new DicomStreamReader(new TrickleStream(dataSet, chunk), syntax,
            DicomReadOptions.Default with { BulkDataThreshold = 1024, MaxBufferedValueLength = 1024 * 1024 });
        var header = await reader.ReadHeaderAsync();
        var rest = await reader.ReadToEndAsync();
        return (header, rest);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task ReadToEnd_CorpusFile_HeaderAndRestMakeTheWholeDataSetAndThePixelDataIsConsistent(string name)
    {
        var (dataSet, syntax) = BareDataSet(name);
        var whole = DicomReader.ReadDataset(dataSet, syntax).Dataset;

        var (header, rest) = await ReadAsync(dataSet, syntax);

        Assert.Equal(whole.Count, header.Dataset.Count + rest.Count);
        Assert.DoesNotContain(header.Dataset, e => e.Tag == DicomTag.PixelData);
        Assert.Equal(whole.TryGetElement(DicomTag.PixelData, out _), rest.TryGetElement(DicomTag.PixelData, out _));
        Assert.Null(PixelDataConsistency.FindProblem(header.Dataset, rest, syntax));
    }

    [Fact]
    public async Task ReadToEnd_SplitAtEveryOffset_SameElements()
    {
        var (dataSet, syntax) = BareDataSet("JPEG2000.dcm");
        var (expectedHeader, expectedRest) = await ReadAsync(dataSet, syntax, dataSet.Length);

        foreach (var chunk in new[] { 1, 2, 3, 7, 8, 13, 4096 })
        {
            var (header, rest) = await ReadAsync(dataSet, syntax, chunk);
            Assert.Equal(expectedHeader.Dataset.Count, header.Dataset.Count);
            Assert.Equal(expectedRest.Count, rest.Count);
            Assert.True(rest.TryGetElement(DicomTag.PixelData, out var pixels));
            Assert.Equal(expectedRest.First().Fragments!.Items.Count, pixels.Fragments!.Items.Count);
        }
    }

    [Theory]
    [InlineData("CT_small.dcm")]
    [InlineData("MR_small.dcm")]
    [InlineData("JPEG2000.dcm")]
    [InlineData("image_dfl.dcm")]
    public async Task ReadToEnd_DataSetCutShort_ThrowsFormatException(string name)
    {
        var (dataSet, syntax) = BareDataSet(name);
        // Cut anywhere after the header: inside the pixel data value, or (encapsulated) before the fragments'
        // Sequence Delimitation Item.
        var headerEnd = DicomReader.ReadDataset(dataSet, syntax, DicomReadOptions.HeaderOnly).EndOffset;
        foreach (var cut in syntax.IsDeflated ? [dataSet.Length / 2] : new[] { (int)headerEnd + 10, (dataSet.Length + (int)headerEnd) / 2, dataSet.Length - 1, dataSet.Length - 4 })
        {
            await Assert.ThrowsAsync<DicomFormatException>(() => ReadAsync(dataSet[..cut], syntax));
        }
    }

    [Fact]
    public async Task ReadToEnd_PixelDataLengthFarBeyondTheBytesSent_ThrowsFormatException()
    {
        // The probe's case: Pixel Data declares 0xFFFFFFF0 bytes and carries 32 KiB.
        var (dataSet, syntax) = BareDataSet("CT_small.dcm");
        var pixelTag = (int)DicomReader.ReadDataset(dataSet, syntax, DicomReadOptions.HeaderOnly).EndOffset;
        var forged = dataSet[..(pixelTag + 12 + 32 * 1024)];
        BitConverter.GetBytes(0xFFFFFFF0u).CopyTo(forged, pixelTag + 8); // explicit VR OW: 4-byte length at +8

        var e = await Assert.ThrowsAsync<DicomFormatException>(() => ReadAsync(forged, syntax));
        Assert.Equal(DicomTag.PixelData, e.Tag);
    }

    [Fact]
    public async Task ReadToEnd_EndlessEmptyFragments_StopsAtTheBound()
    {
        var (dataSet, syntax) = BareDataSet("JPEG2000.dcm");
        var pixelTag = (int)DicomReader.ReadDataset(dataSet, syntax, DicomReadOptions.HeaderOnly).EndOffset;
        using var forged = new MemoryStream();
        forged.Write(dataSet.AsSpan(0, pixelTag + 12));
        for (var i = 0; i < 300; i++)
        {
            forged.Write([0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
        }

        await using var reader = new DicomStreamReader(new MemoryStream(forged.ToArray()), syntax, DicomReadOptions.Default with { MaxFragments = 100 });
        await reader.ReadHeaderAsync();
        var e = await Assert.ThrowsAsync<DicomFormatException>(async () => await reader.ReadToEndAsync());
        Assert.Contains("fragments", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadToEnd_NoPixelData_EmptyRest()
    {
        var (dataSet, syntax) = BareDataSet("rtplan.dcm");

        var (header, rest) = await ReadAsync(dataSet, syntax);

        Assert.Equal(0, rest.Count);
        Assert.False(header.StoppedAtPixelData);
    }
}
