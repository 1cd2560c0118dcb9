using Microsoft.Extensions.Options;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.Dimse;
using Pacs.Gateway.Ingest;
using Pacs.Gateway.Storage;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The blob stream a C-MOVE or C-GET sub-operation sends from (<see cref="RetrieveInstances.SubOperationStream"/>):
/// its reads complete at once (no thread-pool hop per read), it hands over the blob's bytes unchanged, and its disposal
/// gives the read slot back.
/// </summary>
public sealed class SubOperationStreamTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pacs-subop-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FileBlobStore _store;
    private readonly ReadAdmission _admission;

    public SubOperationStreamTests()
    {
        _store = new FileBlobStore(_root);
        _admission = new ReadAdmission(Options.Create(new DicomWebOptions { ReadConcurrency = 1, ReadQueueLimit = 5, ReadSlotMilliseconds = 60_000 }),
            new IngestActivity());
    }

    public void Dispose()
    {
        _admission.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData(16_372)] // one PDV of a 16 KiB peer at a time (dcmtk's default maximum)
    [InlineData(65_488)] // four of them, what SendStoreAsync reads per send
    [InlineData(200_000)] // larger than the file stream's buffer
    public async Task ReadAsync_CtSizedBlob_EveryReadCompletesAtOnceAndTheBytesAreTheBlobs(int chunk)
    {
        var bytes = WriteBlob("1.2.3/4.5.6/7.8.9.dcm", 525_000);
        var lease = await _admission.EnterAsync(ReadClass.Bulk, "dimse:WORKSTATION", CancellationToken.None);
        var read = new MemoryStream();
        var reads = 0;

        await using (var stream = new RetrieveInstances.SubOperationStream(
            await RetrieveInstances.OpenDataSetAsync(_store, "1.2.3/4.5.6/7.8.9.dcm", CancellationToken.None), lease))
        {
            var buffer = new byte[chunk];
            while (true)
            {
                var pending = stream.ReadAsync(buffer.AsMemory(), CancellationToken.None);
                Assert.True(pending.IsCompletedSuccessfully, $"read {reads} went to the thread pool");
                var n = await pending;
                if (n == 0)
                {
                    break;
                }

                reads++;
                read.Write(buffer, 0, n);
            }
        }

        Assert.Equal(bytes, read.ToArray());
        Assert.True(reads >= 525_000 / chunk, $"{reads} reads");
    }

    [Fact]
    public async Task DisposeAsync_Leased_TheSlotGoesBackAndTheNextReaderIsAdmitted()
    {
        WriteBlob("1.2.3/4.5.6/7.8.10.dcm", 1_000);
        var lease = await _admission.EnterAsync(ReadClass.Bulk, "dimse:WORKSTATION", CancellationToken.None);
        var stream = new RetrieveInstances.SubOperationStream(
            await RetrieveInstances.OpenDataSetAsync(_store, "1.2.3/4.5.6/7.8.10.dcm", CancellationToken.None), lease);
        var next = _admission.EnterAsync(ReadClass.Bulk, "viewer", CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);

        await stream.DisposeAsync();

        using var granted = await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(granted);
        Assert.Equal(1, _admission.Running);
    }

    [Fact]
    public async Task ReadAsync_Part10Blob_StartsAtTheDataSet()
    {
        // A STOW-RS blob keeps its Part 10 header (PS3.10 7.1); a C-STORE sub-operation carries the data set only.
        var dataSet = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        var meta = new byte[144 + 20];
        "DICM"u8.CopyTo(meta.AsSpan(128));
        meta[132] = 0x02; // (0002,0000) UL, value 20: the rest of the meta group
        meta[134] = 0x00;
        meta[136] = (byte)'U';
        meta[137] = (byte)'L';
        meta[138] = 4;
        meta[140] = 20;
        var path = Path.Combine(_root, "1.2.3", "4.5.6", "7.8.11.dcm");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, [.. meta, .. dataSet]);

        await using var stream = new RetrieveInstances.SubOperationStream(
            await RetrieveInstances.OpenDataSetAsync(_store, "1.2.3/4.5.6/7.8.11.dcm", CancellationToken.None), null);
        var read = new byte[dataSet.Length + 10];
        var n = await stream.ReadAtLeastAsync(read, read.Length, throwOnEndOfStream: false);

        Assert.Equal(dataSet, read[..n]);
    }

    private byte[] WriteBlob(string key, int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        bytes[128] = 0; // not "DICM": a bare data set as C-STORE stored it
        var path = Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return bytes;
    }
}
