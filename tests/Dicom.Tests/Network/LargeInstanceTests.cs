using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Pacs.Dicom.IO;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Xunit;
using Xunit.Abstractions;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>Tests that measure this process's memory: they run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuringCollection
{
    public const string Name = "Memory measuring (not parallel)";
}

/// <summary>A multi-hundred-MB instance from dcmtk's storescu to our server, streamed to disk with bounded memory.</summary>
[Collection(MemoryMeasuringCollection.Name)]
public sealed class LargeInstanceTests(ITestOutputHelper output)
{
    private const int Rows = 10_000;
    private const int Columns = 15_000; // x 2 bytes: 300,000,000 bytes of pixel data

    [Fact]
    public async Task StoreScu_300MBInstance_StreamedToFileWithBoundedManagedHeap()
    {
        var dir = TempDir();
        try
        {
            var source = Path.Combine(dir, "big.dcm");
            var (datasetOffset, expectedHash) = await WriteSecondaryCaptureAsync(source);
            Assert.True(new FileInfo(source).Length > 300_000_000);

            var store = new FileStoreProvider(dir);
            await using var server = StartServer(new DicomServiceProviders { Store = store });
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var baselineHeap = GC.GetTotalMemory(forceFullCollection: false);
            var baselineAllocated = GC.GetTotalAllocatedBytes(precise: true);
            var peakWorkingSetBefore = Process.GetCurrentProcess().PeakWorkingSet64;

            // Sample the managed heap while the instance passes. GC.GetTotalMemory(false) counts every object not yet
            // collected, garbage included, so its maximum bounds the live managed memory from above; it is immune to
            // what the OS does with file pages (which the working set is not) and, as this collection runs alone, it
            // measures the server. Were the data set buffered anywhere, it would exceed 300 MB.
            var peakHeap = baselineHeap;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
                    try { await Task.Delay(10, sampling.Token); } catch (OperationCanceledException) { }
                }
            });
            var watch = Stopwatch.StartNew();
            var r = await RunAsync("storescu", ["-aec", "ARCHIVE", "127.0.0.1", server.Port.ToString(CultureInfo.InvariantCulture), source], timeoutSeconds: 120);
            watch.Stop();
            await sampling.CancelAsync();
            await sampler;

            Assert.True(r.ExitCode == 0, r.Output);
            var stored = Assert.Single(store.Files);
            Assert.Equal(DicomTransferSyntax.ExplicitVRLittleEndian.Uid, stored.TransferSyntax.Uid);
            // The stored bytes are the file's data set, byte for byte.
            Assert.Equal(new FileInfo(source).Length - datasetOffset, new FileInfo(stored.Path).Length);
            Assert.Equal(expectedHash, await HashAsync(stored.Path, 0));

            var heapGrowth = peakHeap - baselineHeap;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - baselineAllocated;
            var workingSetGrowth = Process.GetCurrentProcess().PeakWorkingSet64 - peakWorkingSetBefore;
            output.WriteLine($"300 MB in {watch.Elapsed.TotalSeconds:F1} s; peak managed heap +{heapGrowth / 1048576} MiB; " +
                $"allocated {allocated / 1048576} MiB; peak working set +{workingSetGrowth / 1048576} MiB");
            Assert.True(heapGrowth < 100L * 1024 * 1024, $"managed heap grew by {heapGrowth / 1048576} MiB during the transfer");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// Writes a Secondary Capture Part 10 file: the header through <see cref="DicomWriter"/>, then the Pixel Data
    /// element header (Explicit VR LE, OW, 32-bit length: PS3.5 7.1.2) and its value in 1 MiB chunks. Returns where the
    /// data set starts and the SHA-256 of the data set bytes.
    /// </summary>
    private static async Task<(long DatasetOffset, byte[] Hash)> WriteSecondaryCaptureAsync(string path)
    {
        var ds = new DicomDataset();
        ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
        ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.Modality, DicomVR.CS, "OT");
        ds.SetString(DicomTag.PatientName, DicomVR.PN, "BIG^INSTANCE");
        ds.SetString(DicomTag.PatientID, DicomVR.LO, "BIG-1");
        ds.SetString(new DicomTag(0x00080064), DicomVR.CS, "WSD"); // Conversion Type
        ds.SetUInt16(new DicomTag(0x00280002), DicomVR.US, 1); // Samples per Pixel
        ds.SetString(new DicomTag(0x00280004), DicomVR.CS, "MONOCHROME2");
        ds.SetUInt16(new DicomTag(0x00280010), DicomVR.US, Rows);
        ds.SetUInt16(new DicomTag(0x00280011), DicomVR.US, Columns);
        ds.SetUInt16(new DicomTag(0x00280100), DicomVR.US, 16); // Bits Allocated
        ds.SetUInt16(new DicomTag(0x00280101), DicomVR.US, 16); // Bits Stored
        ds.SetUInt16(new DicomTag(0x00280102), DicomVR.US, 15); // High Bit
        ds.SetUInt16(new DicomTag(0x00280103), DicomVR.US, 0); // Pixel Representation

        var file = DicomFile.Create(ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        long datasetOffset;
        await using (var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
        {
            await DicomWriter.WriteFileAsync(fs, file);
            datasetOffset = fs.Position - DicomWriter.EncodedLength(ds, DicomTransferSyntax.ExplicitVRLittleEndian);
            const uint length = (uint)Rows * Columns * 2;
            var header = new byte[12];
            BinaryPrimitives.WriteUInt16LittleEndian(header, 0x7FE0);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), 0x0010);
            header[4] = (byte)'O';
            header[5] = (byte)'W';
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), length);
            await fs.WriteAsync(header);
            var chunk = new byte[1 << 20];
            for (long written = 0, n = 0; written < length; n++)
            {
                // A pattern that differs per chunk, so that a dropped or repeated chunk changes the hash.
                var seed = (uint)(n * 2654435761);
                for (var i = 0; i < chunk.Length; i += 4)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(i), seed + (uint)i);
                }

                var take = (int)Math.Min(chunk.Length, length - written);
                await fs.WriteAsync(chunk.AsMemory(0, take));
                written += take;
            }
        }
        return (datasetOffset, await HashAsync(path, datasetOffset));
    }

    private static async Task<byte[]> HashAsync(string path, long offset)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true) { Position = offset };
        return await SHA256.HashDataAsync(fs);
    }

    /// <summary>Writes each data set to a file as it arrives, through a 64 KiB buffer.</summary>
    private sealed class FileStoreProvider(string dir) : ICStoreProvider
    {
        public sealed record Stored(string Path, DicomTransferSyntax TransferSyntax);

        public System.Collections.Concurrent.ConcurrentQueue<Stored> Files { get; } = new();

        public async ValueTask<DimseStatus> OnCStoreAsync(CStoreRequest request, Stream dataSet, DicomTransferSyntax transferSyntax, AssociationInfo association, CancellationToken cancellationToken)
        {
            var path = Path.Combine(dir, request.AffectedSopInstanceUid + ".received");
            await using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                await dataSet.CopyToAsync(fs, 64 * 1024, cancellationToken);
            }

            Files.Enqueue(new Stored(path, transferSyntax));
            return DimseStatus.Success;
        }
    }
}
