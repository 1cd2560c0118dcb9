using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Gateway.Ingest;
using Pacs.Gateway.Tests.Cluster;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The content hash (issue 17 §3): new rows are BLAKE3 and say so; a row indexed before (SHA-256) still tells a
/// duplicate from different bytes, the study grain asking the funnel for the SHA-256 of the new copy.
/// </summary>
public sealed partial class IngestServiceTests
{
    [Fact]
    public async Task Store_NewInstance_RowSaysBlake3AndHoldsTheBlake3OfTheBlob()
    {
        var (request, bytes) = FreshBareDataSet();

        var result = await _ingest.StoreAsync(request, new MemoryStream(bytes), CancellationToken.None);

        Assert.Equal(IngestStatus.Stored, result.Status);
        Assert.Equal("blake3", await ScalarAsync<string>("SELECT content_hash_algorithm FROM pacs_instances WHERE sop_instance_uid = $1", result.SopInstanceUid!));
        var key = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", result.SopInstanceUid!);
        using var blake3 = new ContentHash();
        blake3.Append(await ReadBlobAsync(key));
        Assert.Equal(blake3.Finish(), await ScalarAsync<byte[]>("SELECT content_sha256 FROM pacs_instances WHERE sop_instance_uid = $1", result.SopInstanceUid!));
        Assert.NotEqual(SHA256.HashData(bytes), await ScalarAsync<byte[]>("SELECT content_sha256 FROM pacs_instances WHERE sop_instance_uid = $1", result.SopInstanceUid!));
    }

    [Fact]
    public async Task Store_CopyOfAnInstanceIndexedWithSha256_IsDuplicateThenDifferentBytesReplaceItWithBlake3()
    {
        var (request, bytes) = FreshBareDataSet();
        var first = await _ingest.StoreAsync(request, new MemoryStream(bytes), CancellationToken.None);
        Assert.Equal(IngestStatus.Stored, first.Status);
        var sop = first.SopInstanceUid!;
        var oldKey = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", sop);
        // The row as it was before 0170: the SHA-256 of the blob, and the study grain reloads it from the index.
        await ExecuteAsync("UPDATE pacs_instances SET content_sha256 = $2, content_hash_algorithm = 'sha256' WHERE sop_instance_uid = $1",
            sop, SHA256.HashData(await ReadBlobAsync(oldKey)));
        await _fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var recording = WithRecordedStudyGrainCalls(out var seen);

        var again = await recording.StoreAsync(request, new MemoryStream(bytes), CancellationToken.None);

        Assert.Equal(IngestStatus.Duplicate, again.Status);
        // Asked twice: the grain wanted the SHA-256, and got that of the same bytes.
        Assert.Equal(2, seen.Count);
        Assert.Null(seen[0].Sha256);
        Assert.Equal(SHA256.HashData(bytes), seen[1].Sha256);
        Assert.Equal(oldKey, await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", sop));
        Assert.Equal("sha256", await ScalarAsync<string>("SELECT content_hash_algorithm FROM pacs_instances WHERE sop_instance_uid = $1", sop));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_intents"));

        var changed = (byte[])bytes.Clone();
        changed[^1] ^= 0xFF; // a pixel
        var replaced = await recording.StoreAsync(request, new MemoryStream(changed), CancellationToken.None);

        Assert.Equal(IngestStatus.Replaced, replaced.Status);
        Assert.Equal("blake3", await ScalarAsync<string>("SELECT content_hash_algorithm FROM pacs_instances WHERE sop_instance_uid = $1", sop));
        Assert.Equal(changed, await ReadBlobAsync(await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", sop)));
    }

    /// <summary>CT_small as a bare data set under new Study, Series and SOP Instance UIDs (no grain has seen them).</summary>
    private static (IngestRequest Request, byte[] Bytes) FreshBareDataSet()
    {
        var parsed = DicomReader.ReadFile(File.ReadAllBytes(Path.Combine("Corpus", "CT_small.dcm")));
        var dataset = parsed.Dataset;
        var sop = DicomUidGenerator.Generate();
        dataset.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        dataset.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        dataset.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, sop);
        var request = new IngestRequest
        {
            Source = "dimse:TESTSCU",
            TransferSyntax = parsed.TransferSyntax,
            ExpectedSopClassUid = dataset.GetString(DicomTag.SOPClassUID),
            ExpectedSopInstanceUid = sop,
        };
        return (request, DicomWriter.ToBytes(dataset, parsed.TransferSyntax));
    }

    /// <summary>The same funnel, with every study grain commit's record recorded.</summary>
    private IngestService WithRecordedStudyGrainCalls(out List<Grains.InstanceRecord> seen)
    {
        seen = [];
        var factory = DispatchProxy.Create<IGrainFactory, RecordingGrainFactory>();
        ((RecordingGrainFactory)(object)factory).Configure(_fixture.Cluster.Client, seen);
        return new IngestService(_blobs, _intents, factory, GrainCallsForTests.Create(), AccessGroupRules.Default, NullLogger<IngestService>.Instance);
    }

    public class RecordingGrainFactory : DispatchProxy
    {
        private IGrainFactory _inner = null!;
        private List<Grains.InstanceRecord> _seen = null!;

        internal void Configure(IGrainFactory inner, List<Grains.InstanceRecord> seen) => (_inner, _seen) = (inner, seen);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var result = targetMethod!.Invoke(_inner, args);
            if (result is Grains.IStudyGrain grain)
            {
                var proxy = Create<Grains.IStudyGrain, RecordingStudyGrain>();
                ((RecordingStudyGrain)(object)proxy).Configure(grain, _seen);
                return proxy;
            }

            return result;
        }
    }

    public class RecordingStudyGrain : DispatchProxy
    {
        private Grains.IStudyGrain _inner = null!;
        private List<Grains.InstanceRecord> _seen = null!;

        internal void Configure(Grains.IStudyGrain inner, List<Grains.InstanceRecord> seen) => (_inner, _seen) = (inner, seen);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(Grains.IStudyGrain.CommitAsync))
            {
                _seen.Add((Grains.InstanceRecord)args![0]!);
            }

            return targetMethod.Invoke(_inner, args);
        }
    }
}
