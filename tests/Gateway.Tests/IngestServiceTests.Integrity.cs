using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.Tests;

/// <summary>Issue 13, data integrity at ingest: nothing truncated or inconsistent is acknowledged, and nothing of it stays.</summary>
public sealed partial class IngestServiceTests
{
    private async Task<(byte[] File, DicomReadResult Parsed, int PixelDataTag)> CorpusAsync(string name)
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", name));
        var parsed = DicomReader.ReadFile(file, DicomReadOptions.HeaderOnly);
        await DeleteIfIndexedAsync(parsed.Dataset.GetString(DicomTag.StudyInstanceUID)!);
        return (file, parsed, (int)parsed.EndOffset);
    }

    private IngestRequest DimseRequest(DicomReadResult parsed) => new()
    {
        Source = "dimse:TESTSCU",
        TransferSyntax = parsed.TransferSyntax,
        ExpectedSopClassUid = parsed.Dataset.GetString(DicomTag.SOPClassUID),
        ExpectedSopInstanceUid = parsed.Dataset.GetString(DicomTag.SOPInstanceUID),
    };

    private async Task AssertNothingStoredAsync(DicomReadResult parsed)
    {
        AssertNoBlobs();
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", parsed.Dataset.GetString(DicomTag.SOPInstanceUID)!));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_intents"));
    }

    [Fact]
    public async Task Store_PixelDataDeclaresFarMoreThanSent_CannotUnderstandAndNothingStored()
    {
        // The probe's C-STORE: Pixel Data declares 0xFFFFFFF0 bytes and carries 32 KiB.
        var (file, parsed, pixelTag) = await CorpusAsync("CT_small.dcm");
        var dataSet = file.AsSpan((int)parsed.DatasetOffset, pixelTag - (int)parsed.DatasetOffset + 12 + 32 * 1024).ToArray();
        BitConverter.GetBytes(0xFFFFFFF0u).CopyTo(dataSet, pixelTag - (int)parsed.DatasetOffset + 8);

        var result = await _ingest.StoreAsync(DimseRequest(parsed), new MemoryStream(dataSet), CancellationToken.None);

        Assert.Equal(IngestStatus.CannotUnderstand, result.Status);
        Assert.Contains("Truncated", result.ErrorComment, StringComparison.Ordinal);
        await AssertNothingStoredAsync(parsed);
    }

    [Theory]
    [InlineData("CT_small.dcm")]
    [InlineData("JPEG2000.dcm")]
    public async Task Store_Part10FileCutInHalf_CannotUnderstandAndNothingStored(string name)
    {
        var (file, parsed, pixelTag) = await CorpusAsync(name);
        var half = file[..((pixelTag + file.Length) / 2)];

        var result = await _ingest.StoreAsync(Part10, new MemoryStream(half), CancellationToken.None);

        Assert.Equal(IngestStatus.CannotUnderstand, result.Status);
        Assert.False(string.IsNullOrEmpty(result.ErrorComment));
        await AssertNothingStoredAsync(parsed);
    }

    [Fact]
    public async Task Store_FragmentSequenceWithoutItsDelimiter_CannotUnderstandAndNothingStored()
    {
        var (file, parsed, _) = await CorpusAsync("JPEG2000.dcm");
        var undelimited = file[..^8]; // the Sequence Delimitation Item (FFFE,E0DD) of the fragments (PS3.5 A.4)

        var result = await _ingest.StoreAsync(Part10, new MemoryStream(undelimited), CancellationToken.None);

        Assert.Equal(IngestStatus.CannotUnderstand, result.Status);
        await AssertNothingStoredAsync(parsed);
    }

    [Fact]
    public async Task Store_NativePixelDataShorterThanTheImage_DataSetDoesNotMatchAndNothingStored()
    {
        // A well-formed data set whose Pixel Data holds half the 128x128x16-bit image its header describes.
        var (file, parsed, pixelTag) = await CorpusAsync("CT_small.dcm");
        var length = BitConverter.ToUInt32(file, pixelTag + 8);
        var shorter = file[..(pixelTag + 12 + (int)length / 2)];
        BitConverter.GetBytes(length / 2).CopyTo(shorter, pixelTag + 8);

        var result = await _ingest.StoreAsync(Part10, new MemoryStream(shorter), CancellationToken.None);

        Assert.Equal(IngestStatus.DataSetDoesNotMatch, result.Status);
        Assert.Contains("Pixel Data", result.ErrorComment, StringComparison.Ordinal);
        Assert.InRange(result.ErrorComment!.Length, 1, 64);
        await AssertNothingStoredAsync(parsed);
    }

    [Fact]
    public async Task Store_TruncatedResendOfAStoredInstance_RefusedAndTheStoredCopyStays()
    {
        var (file, parsed, pixelTag) = await CorpusAsync("MR_small.dcm");
        var first = await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);
        var key = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", first.SopInstanceUid!);

        var resend = await _ingest.StoreAsync(Part10, new MemoryStream(file[..((pixelTag + file.Length) / 2)]), CancellationToken.None);

        Assert.Equal(IngestStatus.CannotUnderstand, resend.Status);
        Assert.Equal(key, await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", first.SopInstanceUid!));
        Assert.Equal(file.AsSpan((int)parsed.DatasetOffset).ToArray(), await ReadBlobAsync(key));
    }
}
