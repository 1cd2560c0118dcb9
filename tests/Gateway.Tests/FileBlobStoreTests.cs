using Pacs.Gateway.Storage;

namespace Pacs.Gateway.Tests;

public sealed class FileBlobStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pacs-blobs-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FileBlobStore _store;

    public FileBlobStoreTests() => _store = new FileBlobStore(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void CreateDirectories_NewStudyAndSeries_ReturnsWhatItMadeDeepestFirst()
    {
        var series = Path.Combine(_root, "1.2", "3.4");

        var made = _store.CreateDirectories(series);
        var again = _store.CreateDirectories(series);
        var sibling = _store.CreateDirectories(Path.Combine(_root, "1.2", "3.5"));

        Assert.Equal([series, Path.Combine(_root, "1.2")], made);
        Assert.Empty(again);
        Assert.Equal([Path.Combine(_root, "1.2", "3.5")], sibling);
        Assert.True(Directory.Exists(series));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Commit_NewStudyFolders_EveryNameOnTheWayFsyncedAfterItExistsAndBeforeCommitReturns(bool prepare)
    {
        // The durability rule for a new study: the blob's name in its series folder, the series folder's name in the
        // study folder and the study folder's name in the root each reach the disk (their folder fsynced after the name
        // is in it) before the commit returns; with Prepare the last two run while the bytes still arrive.
        var synced = new List<(string Folder, bool BlobThere, bool ChildThere)>();
        var key = "1.2.840.1/1.2.840.2/1.2.840.3.abc.dcm";
        var series = Path.Combine(_root, "1.2.840.1", "1.2.840.2");
        var study = Path.Combine(_root, "1.2.840.1");
        _store.BeforeFolderFsync = folder =>
        {
            lock (synced)
            {
                synced.Add((folder, File.Exists(Path.Combine(_root, key)), folder == _root ? Directory.Exists(study) : Directory.Exists(series)));
            }
        };
        await using (var write = await _store.BeginWriteAsync(CancellationToken.None))
        {
            await write.Stream.WriteAsync(new byte[5_000]);
            if (prepare)
            {
                write.Prepare(key);
                Assert.False(await _store.ExistsAsync(key, CancellationToken.None));
            }

            _ = write.FlushAsync(CancellationToken.None);
            await write.CommitAsync(key, CancellationToken.None);
            lock (synced)
            {
                Assert.Contains(synced, s => s.Folder == series && s.BlobThere);
                Assert.Contains(synced, s => s.Folder == study && s.ChildThere);
                Assert.Contains(synced, s => s.Folder == _root && s.ChildThere);
            }
        }

        Assert.True(await _store.ExistsAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Commit_IntoFoldersAnotherWriterJustMade_WaitsUntilTheirNamesAreDurable()
    {
        // Writer A made a new study's folders (Prepare) and its fsync of the root is slow; writer B finds the folders
        // there and commits into them: B's blob is not durable until the study folder's name is, so B waits for A's fsync.
        var rootFsync = new TaskCompletionSource();
        var release = new ManualResetEventSlim();
        _store.BeforeFolderFsync = folder =>
        {
            if (folder == _root)
            {
                rootFsync.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        };
        await using var a = await _store.BeginWriteAsync(CancellationToken.None);
        await a.Stream.WriteAsync(new byte[100]);
        a.Prepare("9.1/9.2/9.3.a.dcm");
        await rootFsync.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await using var b = await _store.BeginWriteAsync(CancellationToken.None);
        await b.Stream.WriteAsync(new byte[100]);
        var commitB = b.CommitAsync("9.1/9.2/9.4.b.dcm", CancellationToken.None).AsTask();
        await Task.WhenAny(commitB, Task.Delay(300));
        Assert.False(commitB.IsCompleted, "B's commit returned before the study folder's name was durable");

        release.Set();
        await commitB.WaitAsync(TimeSpan.FromSeconds(30));
        await a.CommitAsync("9.1/9.2/9.3.a.dcm", CancellationToken.None);
        Assert.True(await _store.ExistsAsync("9.1/9.2/9.4.b.dcm", CancellationToken.None));
        Assert.True(await _store.ExistsAsync("9.1/9.2/9.3.a.dcm", CancellationToken.None));
    }

    [Fact]
    public async Task Dispose_PreparedButNeverCommitted_LeavesNoEmptyFolder()
    {
        // An instance refused after its header (truncated, pixel data too short) made its study's folders at Prepare.
        await using (var write = await _store.BeginWriteAsync(CancellationToken.None))
        {
            await write.Stream.WriteAsync(new byte[100]);
            write.Prepare("7.1/7.2/7.3.x.dcm");
            for (var i = 0; i < 300 && !Directory.Exists(Path.Combine(_root, "7.1", "7.2")); i++)
            {
                await Task.Delay(10); // made on a pool thread
            }

            Assert.True(Directory.Exists(Path.Combine(_root, "7.1", "7.2")));
        }

        Assert.False(Directory.Exists(Path.Combine(_root, "7.1")));
        Assert.Equal([FileBlobStore.StagingFolder], Directory.GetDirectories(_root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Prepare_FolderRemovedBeforeCommit_CommitMakesItAgainAndFsyncsItsParent()
    {
        // A delete of the study's last blob removed the (empty) prepared folders between Prepare and commit.
        var synced = new List<string>();
        _store.BeforeFolderFsync = folder =>
        {
            lock (synced)
            {
                synced.Add(folder);
            }
        };
        await using var write = await _store.BeginWriteAsync(CancellationToken.None);
        await write.Stream.WriteAsync(new byte[100]);
        write.Prepare("6.1/6.2/6.3.x.dcm");
        for (var i = 0; i < 300 && !synced.Contains(_root); i++)
        {
            await Task.Delay(10); // Prepare's fsyncs, in the background, done
        }

        _store.RemoveEmptyDirectories(Path.Combine(_root, "6.1", "6.2"));
        Assert.False(Directory.Exists(Path.Combine(_root, "6.1")));
        lock (synced)
        {
            synced.Clear();
        }

        await write.CommitAsync("6.1/6.2/6.3.x.dcm", CancellationToken.None);

        Assert.True(await _store.ExistsAsync("6.1/6.2/6.3.x.dcm", CancellationToken.None));
        lock (synced)
        {
            Assert.Contains(Path.Combine(_root, "6.1", "6.2"), synced);
            Assert.Contains(Path.Combine(_root, "6.1"), synced);
            Assert.Contains(_root, synced);
        }
    }

    [Fact]
    public async Task Commit_WrittenBlob_BecomesVisibleWithItsBytes()
    {
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        await using (var write = await _store.BeginWriteAsync("1.2/3.4/5.6.abc.dcm", CancellationToken.None))
        {
            await write.Stream.WriteAsync(bytes);
            Assert.False(await _store.ExistsAsync("1.2/3.4/5.6.abc.dcm", CancellationToken.None));
            await write.CommitAsync(CancellationToken.None);
        }

        Assert.True(await _store.ExistsAsync("1.2/3.4/5.6.abc.dcm", CancellationToken.None));
        await using var read = await _store.OpenReadAsync("1.2/3.4/5.6.abc.dcm");
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, FileBlobStore.StagingFolder)));
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(true, 1)]
    [InlineData(true, 4096)]
    [InlineData(true, 4097)]
    [InlineData(true, DirectWriteStream.ChunkSize)]
    [InlineData(true, 2 * DirectWriteStream.ChunkSize + 123)]
    [InlineData(false, 2 * DirectWriteStream.ChunkSize + 123)]
    public async Task Commit_AnySizeInOddPieces_ReadsBackExactly(bool directIo, int size)
    {
        // Sizes around the O_DIRECT alignment and chunk edges: the tail is padded on disk and cut back to the true length.
        var store = new FileBlobStore(_root, directIo);
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        await using (var write = await store.BeginWriteAsync("o/d/d.dcm", CancellationToken.None))
        {
            for (var at = 0; at < size; at += 7_001)
            {
                write.Stream.Write(bytes.AsSpan(at, Math.Min(7_001, size - at)));
            }

            await write.CommitAsync(CancellationToken.None);
        }

        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(_root, "o", "d", "d.dcm")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Flush_ThenCommitOrDispose_DurableStagingBecomesVisibleOrGoes(bool commit)
    {
        var bytes = new byte[70_000];
        new Random(7).NextBytes(bytes);
        await using (var write = await _store.BeginWriteAsync(CancellationToken.None))
        {
            await write.Stream.WriteAsync(bytes);
            await write.FlushAsync(CancellationToken.None);
            Assert.Single(Directory.GetFiles(Path.Combine(_root, FileBlobStore.StagingFolder)));
            if (commit)
            {
                await write.CommitAsync("f/l/u.dcm", CancellationToken.None);
            }
        }

        Assert.Equal(commit, await _store.ExistsAsync("f/l/u.dcm", CancellationToken.None));
        if (commit)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(_root, "f", "l", "u.dcm")));
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(_root, FileBlobStore.StagingFolder)));
    }

    [Fact]
    public async Task Commit_KeyAlreadyHeld_ReplacesTheBytes()
    {
        foreach (var content in new[] { "first"u8.ToArray(), "second, longer"u8.ToArray() })
        {
            await using var write = await _store.BeginWriteAsync("r/e/p.dcm", CancellationToken.None);
            await write.Stream.WriteAsync(content);
            await write.CommitAsync(CancellationToken.None);
        }

        Assert.Equal("second, longer"u8.ToArray(), await File.ReadAllBytesAsync(Path.Combine(_root, "r", "e", "p.dcm")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, FileBlobStore.StagingFolder)));
    }

    [Fact]
    public void DirectWrite_OnThisMachinesTempFolder_IsUsedWhenTheFilesystemAllowsIt()
    {
        // The fallback must be taken only for a filesystem that refuses O_DIRECT, never silently for all: on the
        // test machine's ext4 the direct path is the one that runs.
        var path = Path.Combine(_root, "probe.tmp");
        using var direct = DirectWriteStream.TryCreate(path);
        var fs = File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')).Where(f => f.Length > 2 && path.StartsWith(f[1], StringComparison.Ordinal))
            .OrderByDescending(f => f[1].Length).First()[2];
        Assert.True(direct is not null || fs is not ("ext4" or "xfs" or "btrfs"), $"O_DIRECT refused on {fs}");
    }

    [Fact]
    public async Task Dispose_WithoutCommit_LeavesNothing()
    {
        await using (var write = await _store.BeginWriteAsync("a/b.dcm", CancellationToken.None))
        {
            await write.Stream.WriteAsync(new byte[1000]);
        }

        await using (var keyless = await _store.BeginWriteAsync(CancellationToken.None))
        {
            await keyless.Stream.WriteAsync(new byte[1000]);
        }

        Assert.False(await _store.ExistsAsync("a/b.dcm", CancellationToken.None));
        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task CommitWithKey_KeylessWrite_IsVisibleUnderTheKeyChosenAtCommit()
    {
        await using (var write = await _store.BeginWriteAsync(CancellationToken.None))
        {
            await write.Stream.WriteAsync("hello"u8.ToArray());
            await write.CommitAsync("x/y/z.dcm", CancellationToken.None);
            Assert.Equal("x/y/z.dcm", write.Key);
        }

        Assert.Equal("hello"u8.ToArray(), await File.ReadAllBytesAsync(Path.Combine(_root, "x", "y", "z.dcm")));
    }

    [Theory]
    [InlineData(0, 10, 0, 10)]
    [InlineData(100, 50, 100, 50)]
    [InlineData(990, 50, 990, 10)]
    [InlineData(2000, 5, 0, 0)]
    public async Task OpenRead_Range_ReturnsThatWindow(long offset, long length, int expectedStart, int expectedLength)
    {
        var bytes = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        await using (var write = await _store.BeginWriteAsync("r.dcm", CancellationToken.None))
        {
            await write.Stream.WriteAsync(bytes);
            await write.CommitAsync(CancellationToken.None);
        }

        await using var read = await _store.OpenReadAsync("r.dcm", offset, length);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);

        Assert.Equal(bytes.AsSpan(expectedStart, expectedLength).ToArray(), copy.ToArray());
    }

    [Theory]
    [InlineData("../escape.dcm")]
    [InlineData("a/../../escape.dcm")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\b.dcm")]
    [InlineData("a//b.dcm")]
    [InlineData(".staging/x.tmp")]
    [InlineData("a/./b.dcm")]
    [InlineData("")]
    public async Task Keys_LeavingTheRootOrMalformed_AreRejected(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await _store.BeginWriteAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _store.OpenReadAsync(key));
        await Assert.ThrowsAsync<ArgumentException>(async () => await _store.DeleteAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Delete_MissingBlob_IsNotAnError()
    {
        await _store.DeleteAsync("never/written.dcm", CancellationToken.None);

        Assert.False(await _store.ExistsAsync("never/written.dcm", CancellationToken.None));
    }
    private async Task PutAsync(string key, byte fill = 1)
    {
        await using var write = await _store.BeginWriteAsync(key, CancellationToken.None);
        await write.Stream.WriteAsync(new byte[] { fill, fill, fill });
        await write.CommitAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Delete_LastBlobOfItsStudy_RemovesTheEmptyFoldersUpToTheRoot()
    {
        await PutAsync("1.2/3.4/5.6.a.dcm");
        await PutAsync("1.2/3.4/5.7.a.dcm");

        await _store.DeleteAsync("1.2/3.4/5.6.a.dcm", CancellationToken.None);
        Assert.True(Directory.Exists(Path.Combine(_root, "1.2", "3.4")), "a folder that still holds a blob is kept");
        await _store.DeleteAsync("1.2/3.4/5.7.a.dcm", CancellationToken.None);

        Assert.False(Directory.Exists(Path.Combine(_root, "1.2")));
        Assert.True(Directory.Exists(_root));
        Assert.True(Directory.Exists(Path.Combine(_root, FileBlobStore.StagingFolder)));
    }

    [Fact]
    public async Task Delete_WhileOthersCommitIntoTheSameFolder_EveryCommittedBlobSurvives()
    {
        // Deleters empty the folder and remove it while writers commit new blobs into it: a writer that found the
        // folder just before it went must make it again, never fail or lose its blob.
        var kept = new System.Collections.Concurrent.ConcurrentBag<string>();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 150; i++)
            {
                var key = $"9.9/8.8/{w}.{i}.dcm";
                await PutAsync(key);
                if (i % 2 == 0)
                {
                    await _store.DeleteAsync(key, CancellationToken.None);
                }
                else
                {
                    kept.Add(key);
                }
            }
        })).ToArray();

        await Task.WhenAll(writers);

        foreach (var key in kept)
        {
            Assert.True(await _store.ExistsAsync(key, CancellationToken.None), key);
        }

        foreach (var key in kept)
        {
            await _store.DeleteAsync(key, CancellationToken.None);
        }

        Assert.False(Directory.Exists(Path.Combine(_root, "9.9")));
    }
}
