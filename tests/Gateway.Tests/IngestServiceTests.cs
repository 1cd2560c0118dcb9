using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Gateway.Ingest;
using Pacs.Gateway.Storage;
using Pacs.Gateway.Tests.Cluster;
using Pacs.Grains.Tests;
using Pacs.Index;

namespace Pacs.Gateway.Tests;

/// <summary>The ingest funnel end to end: the test plays the gateway (the cluster's client) against two silos and PostgreSQL.</summary>
public sealed partial class IngestServiceTests : IClassFixture<ArchiveClusterFixture>, IDisposable
{
    private readonly ArchiveClusterFixture _fixture;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pacs-ingest-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FileBlobStore _blobs;
    private readonly NpgsqlDataSource _dataSource;
    private readonly BlobIntents _intents;
    private readonly IngestService _ingest;

    public IngestServiceTests(ArchiveClusterFixture fixture)
    {
        _fixture = fixture;
        _blobs = new FileBlobStore(_root);
        _dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        _intents = new BlobIntents(_dataSource, _blobs.DeleteAsync);
        _ingest = new IngestService(_blobs, _intents, fixture.Cluster.Client, GrainCallsForTests.Create(), AccessGroupRules.Default, NullLogger<IngestService>.Instance);
    }

    public void Dispose()
    {
        _dataSource.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private static readonly IngestRequest Part10 = new() { Source = "test" };

    [Theory]
    [InlineData("CT_small.dcm")]
    [InlineData("MR_small.dcm")]
    [InlineData("JPEG2000.dcm")]
    [InlineData("image_dfl.dcm")]
    public async Task Store_Part10File_BlobHoldsTheDataSetBytesAndTheIndexHasIt(string name)
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", name));
        var expected = DicomReader.ReadFile(file);
        await DeleteIfIndexedAsync(expected.Dataset.GetString(DicomTag.StudyInstanceUID)!);

        var result = await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);

        Assert.Equal(IngestStatus.Stored, result.Status);
        Assert.Equal(expected.Dataset.GetString(DicomTag.SOPInstanceUID), result.SopInstanceUid);
        var key = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", result.SopInstanceUid!);
        Assert.Equal(expected.TransferSyntax.Uid, await ScalarAsync<string>("SELECT transfer_syntax_uid FROM pacs_instances WHERE sop_instance_uid = $1", result.SopInstanceUid!));
        Assert.Equal(file.AsSpan((int)expected.DatasetOffset).ToArray(), await ReadBlobAsync(key));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_intents WHERE blob_key = $1", key));
        Assert.Equal(result.SopInstanceUid, await ScalarAsync<string>(
            "SELECT header->'00080018'->'Value'->>0 FROM pacs_instances WHERE sop_instance_uid = $1", result.SopInstanceUid!));
        Assert.Equal(1, await ScalarAsync<int>("SELECT number_of_instances FROM pacs_studies WHERE study_instance_uid = $1", result.StudyInstanceUid!));
    }

    [Fact]
    public async Task Store_BareDataSetWithGivenTransferSyntax_BlobHoldsExactlyTheSentBytes()
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", "MR_small_implicit.dcm"));
        var parsed = DicomReader.ReadFile(file);
        await DeleteIfIndexedAsync(parsed.Dataset.GetString(DicomTag.StudyInstanceUID)!);
        var dataset = file.AsSpan((int)parsed.DatasetOffset).ToArray();
        var request = new IngestRequest
        {
            Source = "dimse:TESTSCU",
            TransferSyntax = parsed.TransferSyntax,
            ExpectedSopClassUid = parsed.Dataset.GetString(DicomTag.SOPClassUID),
            ExpectedSopInstanceUid = parsed.Dataset.GetString(DicomTag.SOPInstanceUID),
        };

        var result = await _ingest.StoreAsync(request, new MemoryStream(dataset), CancellationToken.None);

        Assert.Equal(IngestStatus.Stored, result.Status);
        var key = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", result.SopInstanceUid!);
        Assert.Equal(dataset, await ReadBlobAsync(key));
    }

    [Fact]
    public async Task Store_SameFileTwice_SecondIsDuplicateAndTheBlobStays()
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", "CT_small.dcm"));
        await DeleteIfIndexedAsync(DicomReader.ReadFile(file).Dataset.GetString(DicomTag.StudyInstanceUID)!);
        var first = await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);

        var second = await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);

        Assert.Equal(IngestStatus.Stored, first.Status);
        Assert.Equal(IngestStatus.Duplicate, second.Status);
        var key = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", first.SopInstanceUid!);
        Assert.True(await _blobs.ExistsAsync(key, CancellationToken.None));
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", first.SopInstanceUid!));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_intents"));
    }

    [Fact]
    public async Task Store_SameSopDifferentBytesUnderReplace_ReplacesAndKeepsTheObsoleteBlobUntilItsRetentionEnds()
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", "CT_small.dcm"));
        await DeleteIfIndexedAsync(DicomReader.ReadFile(file).Dataset.GetString(DicomTag.StudyInstanceUID)!);
        var first = await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);
        var oldKey = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", first.SopInstanceUid!);
        var changed = (byte[])file.Clone();
        changed[^1] ^= 0xFF; // a pixel

        var second = await _ingest.StoreAsync(Part10, new MemoryStream(changed), CancellationToken.None);

        Assert.Equal(IngestStatus.Replaced, second.Status);
        var newKey = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", first.SopInstanceUid!);
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(changed[^1], (await ReadBlobAsync(newKey))[^1]);
        // Restorable until the retention ends, then swept with its blob by the reconciler's pass.
        Assert.True(await _blobs.ExistsAsync(oldKey, CancellationToken.None));
        Assert.Equal("replaced", await ScalarAsync<string>("SELECT kind FROM pacs_instance_copies WHERE blob_key = $1", oldKey));
        await ExecuteAsync("UPDATE pacs_instance_copies SET expires_at = now() - interval '1 second' WHERE blob_key = $1", oldKey);

        var swept = await new InstanceCopies(_dataSource, _blobs.DeleteAsync).SweepExpiredAsync(100, CancellationToken.None);

        Assert.True(swept >= 1);
        Assert.False(await _blobs.ExistsAsync(oldKey, CancellationToken.None));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_instance_copies WHERE blob_key = $1", oldKey));
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM pacs_audit_events WHERE kind = 'instance.copy.expired' AND detail->>'blobKey' = $1", oldKey));
        Assert.True(await _blobs.ExistsAsync(newKey, CancellationToken.None));
    }

    [Fact]
    public async Task Store_NotDicom_CannotUnderstandAndNoBlob()
    {
        var garbage = Enumerable.Range(0, 5000).Select(i => (byte)(i * 31)).ToArray();

        var result = await _ingest.StoreAsync(Part10, new MemoryStream(garbage), CancellationToken.None);

        Assert.Equal(IngestStatus.CannotUnderstand, result.Status);
        Assert.False(string.IsNullOrEmpty(result.ErrorComment));
        AssertNoBlobs();
    }

    [Fact]
    public async Task Store_CorruptDataSet_CannotUnderstandNoBlobNoRow()
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", "CT_small.dcm"));
        var parsed = DicomReader.ReadFile(file);
        var sop = parsed.Dataset.GetString(DicomTag.SOPInstanceUID)!;
        await DeleteIfIndexedAsync(parsed.Dataset.GetString(DicomTag.StudyInstanceUID)!);
        // The meta header, then an undefined-length sequence whose "item" is a plain element: structural corruption.
        var corrupt = file.AsSpan(0, (int)parsed.DatasetOffset).ToArray()
            .Concat(new byte[] { 0x08, 0x00, 0x40, 0x11, (byte)'S', (byte)'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF })
            .Concat(new byte[] { 0x10, 0x00, 0x10, 0x00, (byte)'P', (byte)'N', 4, 0, (byte)'A', (byte)'^', (byte)'B', (byte)' ' })
            .Concat(file.AsSpan((int)parsed.DatasetOffset).ToArray())
            .ToArray();

        var result = await _ingest.StoreAsync(Part10, new MemoryStream(corrupt), CancellationToken.None);

        Assert.Equal(IngestStatus.CannotUnderstand, result.Status);
        AssertNoBlobs();
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", sop));
    }

    [Fact]
    public async Task Store_CommandUidDiffers_DataSetDoesNotMatchAndNoBlob()
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", "MR_small.dcm"));
        var request = Part10 with { ExpectedSopInstanceUid = "1.2.3.4" };

        var result = await _ingest.StoreAsync(request, new MemoryStream(file), CancellationToken.None);

        Assert.Equal(IngestStatus.DataSetDoesNotMatch, result.Status);
        AssertNoBlobs();
    }

    [Fact]
    public async Task Store_StudyUidDiffersFromRequest_StudyUidMismatch()
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", "MR_small.dcm"));

        var result = await _ingest.StoreAsync(Part10 with { ExpectedStudyInstanceUid = "1.2.3" }, new MemoryStream(file), CancellationToken.None);

        Assert.Equal(IngestStatus.StudyUidMismatch, result.Status);
        AssertNoBlobs();
    }

    [Fact]
    public async Task Store_SourceFailsMidInstance_AbortedAndNothingStored()
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", "CT_small.dcm"));
        var parsed = DicomReader.ReadFile(file);
        await DeleteIfIndexedAsync(parsed.Dataset.GetString(DicomTag.StudyInstanceUID)!);

        var result = await _ingest.StoreAsync(Part10, new FailingStream(file, failAfter: file.Length - 1000), CancellationToken.None);

        Assert.Equal(IngestStatus.Aborted, result.Status);
        AssertNoBlobs();
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", parsed.Dataset.GetString(DicomTag.SOPInstanceUID)!));
    }

    [Fact]
    public async Task Store_DatabaseStopped_OutOfResourcesThenWorksAfterRestart()
    {
        var server = _fixture.Server;
        Assert.False(server.IsExternal, "This test restarts its own PostgreSQL server (unset PACS_TEST_DB).");
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", "MR_small.dcm"));
        var parsed = DicomReader.ReadFile(file);
        var study = parsed.Dataset.GetString(DicomTag.StudyInstanceUID)!;
        var sop = parsed.Dataset.GetString(DicomTag.SOPInstanceUID)!;
        await DeleteIfIndexedAsync(study);

        await server.StopAsync();
        IngestResult down;
        try
        {
            down = await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);
        }
        finally
        {
            await server.StartAsync();
        }

        Assert.Equal(IngestStatus.OutOfResources, down.Status);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", sop));
        // The blob was made durable before the index was asked, and nothing could decide about it then: its marker is
        // the reconciler's to-do. Once past the grace period, a pass discards it.
        var left = Assert.Single(_blobs.PendingKeys(TimeSpan.Zero));
        Assert.True(await _blobs.ExistsAsync(left, CancellationToken.None));
        AgeMarkers(TimeSpan.FromHours(2));
        _dataSource.Clear();
        Assert.Equal(1, await Reconciler().ReconcileOnceAsync(CancellationToken.None));
        AssertNoBlobs();
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_tombstones WHERE blob_key = $1", left));

        // Pooled connections of the old server die on first use; a sender retries, and so does this test, briefly.
        var up = down;
        for (var attempt = 0; attempt < 5 && !up.IsSuccess; attempt++)
        {
            up = await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);
        }

        Assert.Equal(IngestStatus.Stored, up.Status);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", sop));
    }

    [Fact]
    public async Task Reconciler_OldOrphanIntent_DeletesItsBlobButNeverAnIndexedOne()
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", "MR_small.dcm"));
        await DeleteIfIndexedAsync(DicomReader.ReadFile(file).Dataset.GetString(DicomTag.StudyInstanceUID)!);
        var stored = await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);
        var indexedKey = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", stored.SopInstanceUid!);
        await using (var orphan = await _blobs.BeginWriteAsync("orphan/1.2.3.dcm", CancellationToken.None))
        {
            await orphan.Stream.WriteAsync(new byte[10]);
            await orphan.CommitAsync(CancellationToken.None);
        }

        foreach (var key in new[] { "orphan/1.2.3.dcm", indexedKey })
        {
            await ExecuteAsync("INSERT INTO pacs_blob_intents (blob_key, created_at) VALUES ($1, now() - interval '2 hours')", key);
        }

        await ExecuteAsync("INSERT INTO pacs_blob_intents (blob_key) VALUES ('young/1.dcm')");
        var removed = await Reconciler().ReconcileOnceAsync(CancellationToken.None);

        Assert.Equal(1, removed);
        Assert.False(await _blobs.ExistsAsync("orphan/1.2.3.dcm", CancellationToken.None));
        Assert.True(await _blobs.ExistsAsync(indexedKey, CancellationToken.None));
        Assert.Equal(["young/1.dcm"], await ListAsync("SELECT blob_key FROM pacs_blob_intents"));
        await ExecuteAsync("DELETE FROM pacs_blob_intents");
    }

    [Fact]
    public async Task Reconciler_OldMarker_DiscardsItsBlobButNeverAnIndexedOne()
    {
        var (file, sop) = await FreshFileAsync("CT_small.dcm");
        var stored = await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);
        Assert.Equal(IngestStatus.Stored, stored.Status);
        var indexedKey = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", sop);
        Assert.Empty(_blobs.PendingKeys(TimeSpan.Zero));
        // A gateway that died after the rename: its blob and marker stay. And a marker left beside an indexed blob (its
        // removal failed after the commit).
        const string orphanKey = "1.2.826.0.1.3680043.99/1.2.826.0.1.3680043.99.1/1.2.826.0.1.3680043.99.2.00aa.dcm";
        await using (var orphan = await _blobs.BeginWriteAsync(CancellationToken.None))
        {
            await orphan.Stream.WriteAsync(new byte[10]);
            await orphan.CommitAsync(orphanKey, CancellationToken.None);
        }

        // The same marker an indexed blob's commit made, left behind.
        await File.WriteAllBytesAsync(_blobs.MarkerPath(indexedKey), []);

        Assert.Equal(2, _blobs.PendingKeys(TimeSpan.Zero).Count);
        Assert.Empty(_blobs.PendingKeys(TimeSpan.FromHours(1)));
        AgeMarkers(TimeSpan.FromHours(2));

        var removed = await Reconciler().ReconcileOnceAsync(CancellationToken.None);

        Assert.Equal(1, removed);
        Assert.False(await _blobs.ExistsAsync(orphanKey, CancellationToken.None));
        Assert.True(await _blobs.ExistsAsync(indexedKey, CancellationToken.None));
        Assert.Empty(_blobs.PendingKeys(TimeSpan.Zero));
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_tombstones WHERE blob_key = $1", orphanKey));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_tombstones WHERE blob_key = $1", indexedKey));
    }

    [Fact]
    public async Task Discard_WaitsForACommitOfItsStudyInFlight_AndKeepsTheBlobThatCommitUses()
    {
        const string key = "1.2.826.0.1.3680043.98/1.2.826.0.1.3680043.98.1/1.2.826.0.1.3680043.98.2.00bb.dcm";
        await using (var write = await _blobs.BeginWriteAsync(CancellationToken.None))
        {
            await write.Stream.WriteAsync(new byte[10]);
            await write.CommitAsync(key, CancellationToken.None);
        }

        // A study batch in flight: it holds its folders' lock shared (the fence's first statement) and writes a row
        // that uses the key (here a kept-aside copy, the shortest such row).
        await using var batch = await _dataSource.OpenConnectionAsync();
        await using var transaction = await batch.BeginTransactionAsync();
        await using (var fence = new NpgsqlCommand(BlobTombstones.LockFoldersShared, batch, transaction))
        {
            fence.Parameters.Add(new NpgsqlParameter { Value = new[] { key } });
            await fence.ExecuteScalarAsync();
        }

        await using (var use = new NpgsqlCommand("""
            INSERT INTO pacs_instance_copies (kind, study_instance_uid, series_instance_uid, sop_instance_uid, sop_class_uid, transfer_syntax_uid, blob_key, blob_size, content_sha256)
            VALUES ('conflict', '1.2.826.0.1.3680043.98', '1.2.826.0.1.3680043.98.1', '1.2.826.0.1.3680043.98.2', '1.2.840.10008.5.1.4.1.1.7', '1.2.840.10008.1.2.1', $1, 10, '\x00')
            """, batch, transaction))
        {
            use.Parameters.Add(new NpgsqlParameter { Value = key });
            await use.ExecuteNonQueryAsync();
        }

        var discard = _intents.DiscardAsync(key, CancellationToken.None);
        await Task.Delay(500);
        Assert.False(discard.IsCompleted, "the discard did not wait for the commit in flight");
        await transaction.CommitAsync();

        Assert.False(await discard);
        Assert.True(await _blobs.ExistsAsync(key, CancellationToken.None));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_tombstones WHERE blob_key = $1", key));
        await ExecuteAsync("DELETE FROM pacs_instance_copies WHERE blob_key = $1", key);
        await _blobs.DeleteAsync(key, CancellationToken.None);
    }

    private BlobReconciler Reconciler() =>
        new(_dataSource, _intents, new InstanceCopies(_dataSource, _blobs.DeleteAsync), _blobs, Options.Create(new BlobReconcilerOptions()), NullLogger<BlobReconciler>.Instance);

    /// <summary>Every marker of this class' store written <paramref name="age"/> ago, as if its gateway had died then.</summary>
    private void AgeMarkers(TimeSpan age)
    {
        foreach (var marker in Directory.GetFiles(Path.Combine(_root, FileBlobStore.StagingFolder, FileBlobStore.PendingFolder)))
        {
            File.SetLastWriteTimeUtc(marker, DateTime.UtcNow - age);
        }
    }

    [Fact]
    public async Task Store_GrainAnswerLostAfterCommit_SettledByTheIndexAsStored()
    {
        var (file, sop) = await FreshFileAsync("CT_small.dcm");
        var ingest = WithStudyGrainCalls(LostAnswer.AfterCommit, out _);

        var result = await ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);

        // The row exists, so the only true answer is success; its blob is kept and the intent is done.
        Assert.Equal(IngestStatus.Stored, result.Status);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", sop));
        var key = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", sop);
        Assert.Equal(file.AsSpan((int)DicomReader.ReadFile(file).DatasetOffset).ToArray(), await ReadBlobAsync(key));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_intents"));
    }

    [Fact]
    public async Task Store_GrainCallFailsBeforeCommit_OutOfResourcesNoRowNoBlobNoIntent()
    {
        var (file, sop) = await FreshFileAsync("CT_small.dcm");
        var ingest = WithStudyGrainCalls(LostAnswer.BeforeCommit, out _);

        var result = await ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);

        Assert.Equal(IngestStatus.OutOfResources, result.Status);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", sop));
        AssertNoBlobs();
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_intents"));
    }

    [Fact]
    public async Task Store_CommitArrivesAfterTheFailureWasReported_GrainRefusesIt()
    {
        // The call failed and the sender was told so; a commit of that record still on its way (a slow silo) must not
        // create a row whose blob the settlement already deleted.
        var (file, sop) = await FreshFileAsync("CT_small.dcm");
        var ingest = WithStudyGrainCalls(LostAnswer.BeforeCommit, out var seen);
        var result = await ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);
        Assert.Equal(IngestStatus.OutOfResources, result.Status);
        // Asked again until GrainCalls gave up (the same record every time), then settled as failed.
        var record = seen[0];
        Assert.All(seen, r => Assert.Same(record, r));

        var late = _fixture.Cluster.Client.GetGrain<Grains.IStudyGrain>(Grains.IStudyGrain.KeyFor(record.StudyInstanceUid)).CommitAsync(record);

        await Assert.ThrowsAsync<Grains.ArchiveIndexException>(() => late);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", sop));
        AssertNoBlobs();
    }

    private async Task<(byte[] File, string Sop)> FreshFileAsync(string name)
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", name));
        var dataset = DicomReader.ReadFile(file).Dataset;
        await DeleteIfIndexedAsync(dataset.GetString(DicomTag.StudyInstanceUID)!);
        foreach (var blob in Directory.GetFiles(_root, "*.dcm", SearchOption.AllDirectories))
        {
            File.Delete(blob);
        }

        return (file, dataset.GetString(DicomTag.SOPInstanceUID)!);
    }

    /// <summary>The same funnel, but every study grain call loses its answer (a silo killed mid-call).</summary>
    private IngestService WithStudyGrainCalls(LostAnswer when, out List<Grains.InstanceRecord> seen)
    {
        seen = [];
        var factory = DispatchProxy.Create<IGrainFactory, LosingGrainFactory>();
        ((LosingGrainFactory)(object)factory).Configure(_fixture.Cluster.Client, when, seen);
        // Every attempt fails, so the call is asked again until the budget runs out: a short one.
        return new IngestService(_blobs, _intents, factory, GrainCallsForTests.Create(retryFor: TimeSpan.FromMilliseconds(500)), AccessGroupRules.Default, NullLogger<IngestService>.Instance);
    }

    internal enum LostAnswer
    {
        BeforeCommit,
        AfterCommit,
    }

    /// <summary>An IGrainFactory whose study grains lose their answers; proxies, so Orleans never sees a grain class here.</summary>
    public class LosingGrainFactory : DispatchProxy
    {
        private IGrainFactory _inner = null!;
        private LostAnswer _when;
        private List<Grains.InstanceRecord> _seen = null!;

        internal void Configure(IGrainFactory inner, LostAnswer when, List<Grains.InstanceRecord> seen) => (_inner, _when, _seen) = (inner, when, seen);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var result = targetMethod!.Invoke(_inner, args);
            if (result is Grains.IStudyGrain grain)
            {
                var proxy = Create<Grains.IStudyGrain, LosingStudyGrain>();
                ((LosingStudyGrain)(object)proxy).Configure(grain, _when, _seen);
                return proxy;
            }

            return result;
        }
    }

    public class LosingStudyGrain : DispatchProxy
    {
        private Grains.IStudyGrain _inner = null!;
        private LostAnswer _when;
        private List<Grains.InstanceRecord> _seen = null!;

        internal void Configure(Grains.IStudyGrain inner, LostAnswer when, List<Grains.InstanceRecord> seen) => (_inner, _when, _seen) = (inner, when, seen);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name != nameof(Grains.IStudyGrain.CommitAsync))
            {
                return targetMethod.Invoke(_inner, args);
            }

            var record = (Grains.InstanceRecord)args![0]!;
            _seen.Add(record);
            return CommitAndLoseAnswerAsync(record);
        }

        private async Task<Grains.CommitResult> CommitAndLoseAnswerAsync(Grains.InstanceRecord record)
        {
            if (_when == LostAnswer.AfterCommit)
            {
                await _inner.CommitAsync(record);
            }

            throw new SiloUnavailableException("test: the silo died before answering");
        }
    }

    private void AssertNoBlobs() =>
        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));

    private async Task<byte[]> ReadBlobAsync(string key)
    {
        await using var read = await _blobs.OpenReadAsync(key);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>Tests share corpus files (and so UIDs): start each from an index without that study.</summary>
    private async Task DeleteIfIndexedAsync(string studyInstanceUid)
    {
        await _fixture.Cluster.Client.GetGrain<Grains.IStudyGrain>(Grains.IStudyGrain.KeyFor(studyInstanceUid)).DeleteAsync(null, null);
        await ExecuteAsync("DELETE FROM pacs_blob_intents");
    }

    private async Task ExecuteAsync(string sql, params object[] values)
    {
        await using var command = _dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql, params object[] values)
    {
        await using var command = _dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    private async Task<List<string>> ListAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }

    /// <summary>A sender that goes away: its stream fails after <c>failAfter</c> bytes.</summary>
    private sealed class FailingStream(byte[] bytes, int failAfter) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= failAfter)
            {
                throw new IOException("Connection reset by peer");
            }

            var n = Math.Min(Math.Min(buffer.Length, failAfter - _position), 4096);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
