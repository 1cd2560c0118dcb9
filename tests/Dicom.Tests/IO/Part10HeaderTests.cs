using System.Buffers.Binary;
using Pacs.Dicom.IO;
using Pacs.Dicom.Tests.Corpus;

namespace Pacs.Dicom.Tests.IO;

public sealed class Part10HeaderTests
{
    public static TheoryData<string> Files => CorpusFiles.Names();

    private static async Task<(Part10Header Header, byte[] DataSet)> ReadAsync(byte[] file, int chunk)
    {
        var stream = new TrickleStream(file, chunk);
        var header = await Part10Header.ReadAsync(stream, CancellationToken.None);
        var rest = new MemoryStream();
        await stream.CopyToAsync(rest);
        return (header, [.. header.DatasetPrefix.ToArray(), .. rest.ToArray()]);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task ReadAsync_CorpusFile_SameMetaAndDataSetAsTheReader(string name)
    {
        var file = File.ReadAllBytes(CorpusFiles.PathOf(name));
        var expected = DicomReader.ReadFile(file, DicomReadOptions.HeaderOnly);
        var uid = expected.FileMetaInformation?.GetString(DicomTag.TransferSyntaxUID);
        if (string.IsNullOrEmpty(uid) || DicomTransferSyntax.Find(uid) is null)
        {
            // No meta header, or none naming a known syntax: the reader guesses, the ingest funnel refuses.
            await Assert.ThrowsAsync<DicomFormatException>(() => ReadAsync(file, 4096));
            return;
        }

        foreach (var chunk in new[] { 1, 7, 4096, file.Length })
        {
            var (header, dataSet) = await ReadAsync(file, chunk);
            Assert.Equal(expected.TransferSyntax, header.TransferSyntax);
            Assert.Equal(expected.DatasetOffset, header.DatasetOffset);
            Assert.Equal(expected.FileMetaInformation!.Count, header.Meta.Count);
            Assert.Equal(file.AsSpan((int)expected.DatasetOffset).ToArray(), dataSet);
        }
    }

    [Fact]
    public async Task ReadAsync_NoPreamble_StartsAtDicm()
    {
        var file = File.ReadAllBytes(CorpusFiles.PathOf("CT_small.dcm"));
        var withPreamble = await ReadAsync(file, 4096);

        var (header, dataSet) = await ReadAsync(file[128..], 4096);

        Assert.Equal(withPreamble.Header.TransferSyntax, header.TransferSyntax);
        Assert.Equal(withPreamble.Header.DatasetOffset - 128, header.DatasetOffset);
        Assert.Equal(withPreamble.DataSet, dataSet);
    }

    [Fact]
    public async Task ReadAsync_NotDicom_Throws()
    {
        var e = await Assert.ThrowsAsync<DicomFormatException>(() => ReadAsync(new byte[300], 4096));
        Assert.Contains("PS3.10 7.1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(128 + 4 + 6)]   // inside the group length element
    [InlineData(128 + 4 + 12 + 10)] // inside the header of a long-length element (0002,0001) OB
    [InlineData(128 + 4 + 30)]
    public async Task ReadAsync_MetaCutShort_Throws(int length)
    {
        var file = File.ReadAllBytes(CorpusFiles.PathOf("CT_small.dcm"));
        await Assert.ThrowsAsync<DicomFormatException>(() => ReadAsync(file[..length], 4096));
    }

    [Fact]
    public async Task ReadAsync_MetaElementBeyond64KiB_ThrowsBeforeReadingIt()
    {
        // (0002,0001) OB with a 32-bit length of 1 MiB (PS3.5 7.1.2): refused from its header, not buffered.
        var file = new byte[128 + 4 + 12];
        "DICM"u8.CopyTo(file.AsSpan(128));
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(132), 0x0002);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(134), 0x0001);
        "OB"u8.CopyTo(file.AsSpan(136));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(140), 1024 * 1024);

        var e = await Assert.ThrowsAsync<DicomFormatException>(() => ReadAsync(file, 4096));
        Assert.Contains("64 KiB", e.Message, StringComparison.Ordinal);
    }
}
