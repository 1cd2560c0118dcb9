using Microsoft.Extensions.Options;
using Npgsql;
using Pacs.Gateway.DicomWeb;
using Pacs.Index.Read;

namespace Pacs.Gateway.Tests.DicomWeb;

/// <summary>
/// <see cref="InstanceLookup"/> against a real PostgreSQL holding known rows. A change of a row made behind the lookup's
/// back (another gateway's delete or replacement) stands for the index changing: the held copy may answer the old row for
/// at most its lifetime, never longer; a delete through this gateway (<see cref="InstanceLookup.Forget"/>) at once.
/// </summary>
[Collection(IndexDatabaseCollection.Name)]
public sealed class InstanceLookupTests(IndexDatabaseFixture fixture)
{
    private const string Study = "1.2.3.2";
    private const string Series = "1.2.3.2.1";
    private const string Sop = "1.2.3.2.1.2";

    private InstanceLookup Lookup(int lifetimeMs) =>
        new(new IndexReader(fixture.DataSource), Options.Create(new DicomWebOptions { InstanceLookupMilliseconds = lifetimeMs }));

    /// <summary>Sets the row's blob key (as a replacement through another gateway does) for the test, then puts it back.</summary>
    private async Task<IAsyncDisposable> ReplaceBlobKeyAsync(string newKey)
    {
        var old = await SetBlobKeyAsync(newKey);
        return new Restore(() => SetBlobKeyAsync(old));
    }

    private async Task<string> SetBlobKeyAsync(string key)
    {
        await using var cmd = fixture.DataSource.CreateCommand(
            "update pacs_instances i set blob_key = @key from pacs_instances o where i.sop_instance_uid = @sop and o.instance_key = i.instance_key returning o.blob_key");
        cmd.Parameters.AddWithValue("key", key);
        cmd.Parameters.AddWithValue("sop", Sop);
        // "returning" of an UPDATE ... FROM a self-join gives the row as it was before.
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    private sealed class Restore(Func<Task> undo) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await undo();
    }

    [Fact]
    public async Task FindAsync_EveryInstanceOfASeries_AsTheIndexHasThem()
    {
        var lookup = Lookup(60_000);

        foreach (var sop in new[] { "1.2.3.2.1.1", "1.2.3.2.1.2", "1.2.3.2.1.3" })
        {
            var found = await lookup.FindAsync(Study, Series, sop, CancellationToken.None);
            Assert.Equal(sop, found.SopInstanceUid);
            Assert.Equal(Series, found.SeriesInstanceUid);
            Assert.Equal("blobs/" + sop, found.BlobKey);
        }

        // One copy of the series serves all three.
        Assert.Equal(1, lookup.SeriesCount);
        Assert.Equal(3, lookup.InstanceCount);
    }

    [Fact]
    public async Task FindAsync_UnknownInstanceOrSeries_NotFound()
    {
        var lookup = Lookup(60_000);

        var noInstance = await Assert.ThrowsAsync<DicomWebException>(() => lookup.FindAsync(Study, Series, "1.2.3.2.1.99", CancellationToken.None));
        Assert.Equal(404, noInstance.StatusCode);
        var noSeries = await Assert.ThrowsAsync<DicomWebException>(() => lookup.FindAsync(Study, "1.2.3.2.99", Sop, CancellationToken.None));
        Assert.Equal(404, noSeries.StatusCode);
        // An instance of another study's series is not found through this study.
        var wrongStudy = await Assert.ThrowsAsync<DicomWebException>(() => lookup.FindAsync("1.2.3.1", Series, Sop, CancellationToken.None));
        Assert.Equal(404, wrongStudy.StatusCode);
    }

    [Fact]
    public async Task FindAsync_RowChangedElsewhere_HeldAtMostTheLifetime()
    {
        var lookup = Lookup(300);
        Assert.Equal("blobs/" + Sop, (await lookup.FindAsync(Study, Series, Sop, CancellationToken.None)).BlobKey);

        await using (await ReplaceBlobKeyAsync("blobs/replaced"))
        {
            // Within the lifetime the held row may still answer; once it is over, the index's row does.
            await Task.Delay(400);
            Assert.Equal("blobs/replaced", (await lookup.FindAsync(Study, Series, Sop, CancellationToken.None)).BlobKey);
        }
    }

    [Fact]
    public async Task FindAsync_WithinTheLifetime_ServedFromTheHeldRows()
    {
        var lookup = Lookup(60_000);
        Assert.Equal("blobs/" + Sop, (await lookup.FindAsync(Study, Series, Sop, CancellationToken.None)).BlobKey);

        await using (await ReplaceBlobKeyAsync("blobs/replaced"))
        {
            // What makes it cheap (one statement per series, not per frame) is also its bound: the old row, until
            // the lifetime ends or the blob is found gone (FindInIndexAsync).
            Assert.Equal("blobs/" + Sop, (await lookup.FindAsync(Study, Series, Sop, CancellationToken.None)).BlobKey);
            Assert.Equal("blobs/replaced", (await lookup.FindInIndexAsync(Study, Series, Sop, CancellationToken.None)).BlobKey);
            Assert.Equal("blobs/replaced", (await lookup.FindAsync(Study, Series, Sop, CancellationToken.None)).BlobKey);
        }
    }

    [Fact]
    public async Task Forget_DeleteThroughThisGateway_SeenAtOnce()
    {
        var lookup = Lookup(60_000);
        await lookup.FindAsync(Study, Series, Sop, CancellationToken.None);

        await using (await ReplaceBlobKeyAsync("blobs/replaced"))
        {
            lookup.Forget(Study);
            Assert.Equal(0, lookup.SeriesCount);
            Assert.Equal("blobs/replaced", (await lookup.FindAsync(Study, Series, Sop, CancellationToken.None)).BlobKey);
        }
    }

    [Fact]
    public async Task FindAsync_LifetimeZero_AsksTheIndexEveryTime()
    {
        var lookup = Lookup(0);
        Assert.Equal("blobs/" + Sop, (await lookup.FindAsync(Study, Series, Sop, CancellationToken.None)).BlobKey);

        await using (await ReplaceBlobKeyAsync("blobs/replaced"))
        {
            Assert.Equal("blobs/replaced", (await lookup.FindAsync(Study, Series, Sop, CancellationToken.None)).BlobKey);
            Assert.Equal(0, lookup.SeriesCount);
        }
    }

    [Fact]
    public async Task FindAsync_ManyConcurrentRequests_OneCopyOfTheSeries()
    {
        var lookup = Lookup(60_000);

        var found = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            lookup.FindAsync(Study, Series, "1.2.3.2.1." + (1 + i % 3), CancellationToken.None)));

        Assert.All(found, f => Assert.Equal(Series, f.SeriesInstanceUid));
        Assert.Equal(1, lookup.SeriesCount);
        Assert.Equal(3, lookup.InstanceCount);
    }
}
