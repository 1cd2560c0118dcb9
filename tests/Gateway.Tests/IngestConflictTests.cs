using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Gateway.Dimse;
using Pacs.Gateway.Ingest;
using Pacs.Gateway.Storage;
using Pacs.Gateway.Tests.Cluster;
using Pacs.Grains.Tests;
using Pacs.Index;

namespace Pacs.Gateway.Tests;

/// <summary>The funnel under the default duplicate policy, keep-first (issue 13): the first copy stays, a different one is held for review.</summary>
public sealed class IngestConflictTests : IClassFixture<KeepFirstPolicyClusterFixture>, IDisposable
{
    private readonly KeepFirstPolicyClusterFixture _fixture;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pacs-conflict-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FileBlobStore _blobs;
    private readonly NpgsqlDataSource _dataSource;
    private readonly IngestService _ingest;
    private readonly InstanceCopies _copies;

    public IngestConflictTests(KeepFirstPolicyClusterFixture fixture)
    {
        _fixture = fixture;
        _blobs = new FileBlobStore(_root);
        _dataSource = NpgsqlDataSource.Create(fixture.ConnectionString);
        _ingest = new IngestService(_blobs, new BlobIntents(_dataSource, _blobs.DeleteAsync), fixture.Cluster.Client, GrainCallsForTests.Create(), AccessGroupRules.Default, NullLogger<IngestService>.Instance);
        _copies = new InstanceCopies(_dataSource, _blobs.DeleteAsync);
    }

    public void Dispose()
    {
        _dataSource.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private static readonly IngestRequest Part10 = new() { Source = "test" };

    private async Task<(byte[] File, string Sop)> FreshCtAsync()
    {
        var file = await File.ReadAllBytesAsync(Path.Combine("Corpus", "CT_small.dcm"));
        var study = DicomReader.ReadFile(file, DicomReadOptions.HeaderOnly).Dataset.GetString(DicomTag.StudyInstanceUID)!;
        await _fixture.Cluster.Client.GetGrain<Grains.IStudyGrain>(Grains.IStudyGrain.KeyFor(study)).DeleteAsync(null, null);
        await using (var clear = _dataSource.CreateCommand("DELETE FROM pacs_instance_copies; DELETE FROM pacs_blob_intents"))
        {
            await clear.ExecuteNonQueryAsync();
        }

        return (file, DicomReader.ReadFile(file, DicomReadOptions.HeaderOnly).Dataset.GetString(DicomTag.SOPInstanceUID)!);
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

    [Fact]
    public async Task Store_DifferentBytesForAStoredInstance_ConflictWarningB000FirstCopyStaysAndTheNewOneIsHeld()
    {
        var (file, sop) = await FreshCtAsync();
        await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);
        var storedKey = await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", sop);
        var different = (byte[])file.Clone();
        different[^1] ^= 0xFF;

        var result = await _ingest.StoreAsync(Part10, new MemoryStream(different), CancellationToken.None);

        Assert.Equal(IngestStatus.Conflict, result.Status);
        Assert.True(result.IsSuccess);
        var status = StoreScp.ToDimseStatus(result);
        Assert.Equal(0xB000, status.Code);
        Assert.InRange(status.ErrorComment!.Length, 1, 64);
        Assert.Equal(storedKey, await ScalarAsync<string>("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", sop));
        var copy = Assert.Single(await _copies.ListAsync(InstanceCopies.Conflict, 10, CancellationToken.None));
        Assert.Equal(sop, copy.SopInstanceUid);
        Assert.NotEqual(storedKey, copy.BlobKey);
        Assert.True(await _blobs.ExistsAsync(copy.BlobKey, CancellationToken.None));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_intents"));
    }

    [Fact]
    public async Task Store_TheSameDifferentCopyResent_HeldOnceAndTheRetryLeavesNoBlob()
    {
        var (file, sop) = await FreshCtAsync();
        await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);
        var different = (byte[])file.Clone();
        different[^1] ^= 0xFF;
        await _ingest.StoreAsync(Part10, new MemoryStream(different), CancellationToken.None);

        var retry = await _ingest.StoreAsync(Part10, new MemoryStream(different), CancellationToken.None);

        Assert.Equal(IngestStatus.Conflict, retry.Status);
        Assert.Single(await _copies.ListAsync(null, 10, CancellationToken.None));
        Assert.Equal(2, Directory.GetFiles(_root, "*.dcm", SearchOption.AllDirectories).Length); // the stored one and the held one
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM pacs_blob_intents"));
    }

    [Fact]
    public async Task Discard_HeldCopy_BlobRowAndFolderGoAndItIsAudited()
    {
        var (file, sop) = await FreshCtAsync();
        await _ingest.StoreAsync(Part10, new MemoryStream(file), CancellationToken.None);
        var different = (byte[])file.Clone();
        different[^1] ^= 0xFF;
        await _ingest.StoreAsync(Part10, new MemoryStream(different), CancellationToken.None);
        var copy = Assert.Single(await _copies.ListAsync(null, 10, CancellationToken.None));

        Assert.True(await _copies.DeleteAsync(copy.Id, "instance.copy.discarded", "test", CancellationToken.None));

        Assert.False(await _blobs.ExistsAsync(copy.BlobKey, CancellationToken.None));
        Assert.Null(await _copies.FindAsync(copy.Id, CancellationToken.None));
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM pacs_audit_events WHERE kind = 'instance.copy.discarded' AND sop_instance_uid = $1", sop));
        Assert.False(await _copies.DeleteAsync(copy.Id, "instance.copy.discarded", "test", CancellationToken.None));
    }
}
