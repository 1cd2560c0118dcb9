namespace Pacs.Gateway.Storage;

/// <summary>
/// Blobs as files under one root folder shared by every gateway. A write goes to a temporary file in the root's
/// staging folder (same filesystem, so the final rename is atomic; O_DIRECT where the filesystem allows it, see
/// <see cref="DirectWriteStream"/>), is renamed to the key's path and fsynced, and every directory that gained a name
/// is fsynced (the destination, and the parent of each directory made for the key): POSIX keeps a name in its
/// directory, not in the file. These fsyncs run side by side (a new study's folders as soon as its key is known,
/// <see cref="IBlobWrite.Prepare"/>); commit returns only when all are on disk.
/// </summary>
public sealed class FileBlobStore : IBlobStore
{
    internal const string StagingFolder = ".staging";

    /// <summary>
    /// Inside the staging folder: an empty marker per new blob, made before the blob's rename and removed once the index
    /// has decided about it (<see cref="IBlobStore.Settled"/>); the reconciler discards the blobs of old ones
    /// (<see cref="PendingKeys"/>). The marker's name is the key with '/' as '+', a character keys never hold.
    /// </summary>
    internal const string PendingFolder = "pending";

    /// <summary>The extended attribute holding the content hash (BLAKE3) of a blob's bytes (<see cref="IBlobWrite.RecordContentHash"/>).</summary>
    internal const string ContentHashAttribute = "user.pacs.blake3";

    private readonly string _root;
    private readonly string _staging;
    private readonly string _pending;
    private volatile bool _directIo;

    // Folders made by this process whose names are not yet known durable in their parents (their parents' fsyncs are
    // under way, or failed): a writer that finds such a folder already there waits for (or redoes) that fsync before its
    // own blob in it counts as durable. Made and registered under one lock, so no writer sees a folder made and not
    // registered.
    private readonly Lock _foldersLock = new();
    private readonly Dictionary<string, Task> _foldersSyncing = new(StringComparer.Ordinal);

    /// <param name="root">The folder every gateway shares.</param>
    /// <param name="directIo">
    /// Write staging files with O_DIRECT where the filesystem allows it (<see cref="DirectWriteStream"/>); false
    /// writes through the page cache.
    /// </param>
    public FileBlobStore(string root, bool directIo = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _directIo = directIo;
        _root = Path.GetFullPath(root);
        _staging = Path.Combine(_root, StagingFolder);
        _pending = Path.Combine(_staging, PendingFolder);
        Directory.CreateDirectory(_pending);
    }

    public string Root => _root;

    /// <summary>Called with each folder just before it is fsynced (tests: which folders, in what order, and a slow disk).</summary>
    internal Action<string>? BeforeFolderFsync { get; set; }

    private void FsyncFolder(string folder)
    {
        BeforeFolderFsync?.Invoke(folder);
        DirectorySync.Fsync(folder);
    }

    /// <summary>
    /// The first-level folders of committed blobs (the ingest funnel's study folders), in ordinal order; the staging
    /// folder and any other folder whose name starts with '.' are not blobs.
    /// </summary>
    public IEnumerable<string> TopFolders() =>
        Directory.EnumerateDirectories(_root)
            .Select(Path.GetFileName)
            .Where(name => !string.IsNullOrEmpty(name) && name[0] != '.')
            .Order(StringComparer.Ordinal)!;

    /// <summary>The committed blobs under <paramref name="folder"/> (a <see cref="TopFolders"/> name): key, size and last write time.</summary>
    public IEnumerable<(string Key, long Length, DateTime LastWriteTimeUtc)> BlobsUnder(string folder)
    {
        var start = Path.Combine(_root, folder);
        if (!Directory.Exists(start))
        {
            yield break;
        }

        foreach (var file in new DirectoryInfo(start).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            yield return (Path.GetRelativePath(_root, file.FullName).Replace(Path.DirectorySeparatorChar, '/'), file.Length, file.LastWriteTimeUtc);
        }
    }

    public ValueTask<IBlobWrite> BeginWriteAsync(string key, CancellationToken cancellationToken) =>
        BeginWriteAsync(key, PathFor(key), cancellationToken);

    public ValueTask<IBlobWrite> BeginWriteAsync(CancellationToken cancellationToken) =>
        BeginWriteAsync(null, null, cancellationToken);

    private ValueTask<IBlobWrite> BeginWriteAsync(string? key, string? path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var temp = Path.Combine(_staging, Guid.NewGuid().ToString("N") + ".tmp");
        StagingStream? stream = null;
        if (_directIo)
        {
            stream = DirectWriteStream.TryCreate(temp);
            if (stream is null)
            {
                // One filesystem under the root: once it refuses O_DIRECT, stop asking (a failed open per blob otherwise).
                _directIo = false;
            }
        }

        stream ??= new WritebackStream(new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            // Synchronous: writes land in the page cache (the ingest funnel writes inline, see TeeStream) and the
            // fsync at commit is synchronous anyway.
            Options = FileOptions.None,
            BufferSize = 64 * 1024,
        }));
        return ValueTask.FromResult<IBlobWrite>(new FileBlobWrite(this, key, path, temp, stream));
    }

    public ValueTask<Stream> OpenReadAsync(string key, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var stream = new FileStream(PathFor(key), new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 64 * 1024,
        });
        if (offset == 0 && length is null)
        {
            return ValueTask.FromResult<Stream>(stream);
        }

        var available = Math.Max(0, stream.Length - offset);
        var count = length is null ? available : Math.Min(length.Value, available);
        stream.Position = Math.Min(offset, stream.Length);
        return ValueTask.FromResult<Stream>(new RangeStream(stream, count));
    }

    /// <summary>
    /// The content hash recorded with the blob when it was written (<see cref="IBlobWrite.RecordContentHash"/>), or null:
    /// written before hashes were recorded, on a filesystem without user extended attributes, or copied by a tool that
    /// dropped them (cp without --preserve=xattr). A blob is write-once, so a recorded hash stays the hash of its bytes
    /// unless the disk corrupts them, which only reading every byte finds.
    /// </summary>
    public byte[]? ReadContentHash(string key)
    {
        if (!Libc.Supported)
        {
            return null;
        }

        var hash = new byte[32];
        return Libc.GetXattr(PathFor(key), ContentHashAttribute, ref hash[0], hash.Length) == hash.Length ? hash : null;
    }

    /// <summary>
    /// Opens a committed blob for small reads here and there (a header, an element's header after a seek): unbuffered,
    /// so that each read asks the file for what it wants and no more (<see cref="OpenReadAsync"/> reads ahead 64 KiB).
    /// </summary>
    internal FileStream OpenForSmallReads(string key) =>
        new(PathFor(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous);

    public ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(File.Exists(PathFor(key)));

    public ValueTask DeleteAsync(string key, CancellationToken cancellationToken)
    {
        // File.Delete ignores a missing file; a missing directory is not an error either.
        var path = PathFor(key);
        if (Directory.Exists(Path.GetDirectoryName(path)))
        {
            File.Delete(path);
            RemoveEmptyDirectories(Path.GetDirectoryName(path)!);
        }

        // The blob is gone: so is the to-do its marker stood for (after the blob, so a marker never outlives nothing).
        Settled(key);
        return ValueTask.CompletedTask;
    }

    public void Settled(string key)
    {
        try
        {
            File.Delete(MarkerPath(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Left behind: the reconciler finds the key used (or discards it) and removes the marker then.
        }
    }

    /// <summary>The keys of markers older than <paramref name="age"/>: new blobs the index has not decided about in time.</summary>
    internal List<string> PendingKeys(TimeSpan age)
    {
        var cutoff = DateTime.UtcNow - age;
        var keys = new List<string>();
        foreach (var marker in new DirectoryInfo(_pending).EnumerateFiles("*" + MarkerSuffix))
        {
            if (marker.LastWriteTimeUtc < cutoff)
            {
                keys.Add(marker.Name[..^MarkerSuffix.Length].Replace('+', '/'));
            }
        }

        return keys;
    }

    private const string MarkerSuffix = ".pending";

    private void WriteMarker(string key)
    {
        var marker = MarkerPath(key);
        try
        {
            File.WriteAllBytes(marker, []);
        }
        catch (DirectoryNotFoundException)
        {
            // Someone removed the staging folders: made again, as at start-up.
            Directory.CreateDirectory(_pending);
            File.WriteAllBytes(marker, []);
        }
    }

    internal string MarkerPath(string key)
    {
        ValidateKey(key);
        var name = key.Replace('/', '+') + MarkerSuffix;
        // The ingest funnel's keys (three UIDs of at most 64 characters, 16 hex digits) make names of at most 223.
        return name.Length <= 255 ? Path.Combine(_pending, name) : throw new ArgumentException($"Blob key '{key}' is too long for a marker.", nameof(key));
    }

    /// <summary>
    /// Removes <paramref name="directory"/> and its parents below the root while they are empty (a deleted study or a
    /// refused upload leaves none behind). Race-safe by construction: rmdir(2) removes only an empty directory,
    /// atomically, so a file a concurrent writer has put there keeps it; a writer that made or found the directory
    /// just before it went retries its rename (<see cref="FileBlobWrite"/>).
    /// </summary>
    internal void RemoveEmptyDirectories(string directory)
    {
        for (var d = directory; d.Length > _root.Length && !string.Equals(d, _staging, StringComparison.Ordinal); d = Path.GetDirectoryName(d)!)
        {
            try
            {
                Directory.Delete(d, recursive: false);
            }
            catch (DirectoryNotFoundException)
            {
                // Someone else removed it: its parent may be empty now too.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return; // not empty (or not ours to remove): neither are its parents
            }
        }
    }

    /// <summary>Creates <paramref name="directory"/> and any missing parent below the root; returns those it created, deepest first.</summary>
    internal List<string> CreateDirectories(string directory)
    {
        var missing = new List<string>();
        for (var d = directory; !Directory.Exists(d) && d.Length > _root.Length; d = Path.GetDirectoryName(d)!)
        {
            missing.Add(d);
        }

        if (missing.Count > 0)
        {
            Directory.CreateDirectory(directory);
        }

        return missing;
    }

    /// <summary>
    /// As <see cref="CreateDirectories"/>, registering the folders made as not yet durable in their parents until
    /// <see cref="FoldersSynced"/> is told (null when none was made).
    /// </summary>
    internal (List<string> Made, TaskCompletionSource? Synced) CreateDirectoriesTracked(string directory)
    {
        lock (_foldersLock)
        {
            var made = CreateDirectories(directory);
            if (made.Count == 0)
            {
                return (made, null);
            }

            var synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var folder in made)
            {
                _foldersSyncing[folder] = synced.Task;
            }

            return (made, synced);
        }
    }

    /// <summary>
    /// The parents of <paramref name="made"/> were fsynced (their names are durable), or that failed: then the folders
    /// stay registered with the failure, and the next writer into one of them fsyncs its parent itself.
    /// </summary>
    internal void FoldersSynced(List<string> made, TaskCompletionSource synced, Exception? error)
    {
        if (error is null)
        {
            lock (_foldersLock)
            {
                foreach (var folder in made)
                {
                    if (_foldersSyncing.TryGetValue(folder, out var task) && task == synced.Task)
                    {
                        _foldersSyncing.Remove(folder);
                    }
                }
            }

            synced.SetResult();
        }
        else
        {
            synced.SetException(error);
        }
    }

    /// <summary>Waits until the name of <paramref name="directory"/> and of each parent below the root made by this process is durable.</summary>
    internal async ValueTask WaitForFolderSyncsAsync(string directory)
    {
        for (var d = directory; d.Length > _root.Length; d = Path.GetDirectoryName(d)!)
        {
            Task? pending;
            lock (_foldersLock)
            {
                _foldersSyncing.TryGetValue(d, out pending);
            }

            if (pending is null)
            {
                continue;
            }

            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Its maker's fsync failed: try it here (throws again if the disk still refuses), then it is durable.
                FsyncFolder(Path.GetDirectoryName(d)!);
                lock (_foldersLock)
                {
                    if (_foldersSyncing.TryGetValue(d, out var same) && same == pending)
                    {
                        _foldersSyncing.Remove(d);
                    }
                }
            }
        }
    }

    /// <summary>Temporary files older than <paramref name="age"/> (writers that died mid-write); the reconciler removes them.</summary>
    internal int DeleteStaleStagingFiles(TimeSpan age)
    {
        var deleted = 0;
        var cutoff = DateTime.UtcNow - age;
        foreach (var file in Directory.EnumerateFiles(_staging, "*.tmp"))
        {
            try
            {
                if (File.GetLastWriteTimeUtc(file) < cutoff)
                {
                    File.Delete(file);
                    deleted++;
                }
            }
            catch (IOException)
            {
                // Another gateway removed it first.
            }
        }

        return deleted;
    }

    /// <summary>
    /// The absolute path of a key. Keys are relative paths of '/'-separated segments of safe characters; anything
    /// that could leave the root ("..", absolute paths, backslashes, empty segments) or hit the staging folder is refused.
    /// </summary>
    internal string PathFor(string key)
    {
        ValidateKey(key);
        var full = Path.GetFullPath(Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Blob key '{key}' leaves the storage root.", nameof(key));
        }

        return full;
    }

    internal static void ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length is 0 or > 1024 || key[0] == '/' || key[^1] == '/')
        {
            throw new ArgumentException($"Invalid blob key '{key}'.", nameof(key));
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || segment == StagingFolder || segment.Length > 255)
            {
                throw new ArgumentException($"Invalid blob key '{key}'.", nameof(key));
            }

            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
                {
                    throw new ArgumentException($"Invalid blob key '{key}': character '{c}' is not allowed.", nameof(key));
                }
            }
        }
    }

    private sealed class FileBlobWrite(FileBlobStore store, string? key, string? path, string temp, StagingStream stream) : IBlobWrite
    {
        private bool _committed;
        private string? _key = key;
        // The staged bytes' fsync, once started (FlushAsync or the commit); on a pool thread, so that it runs while the
        // caller does what it must in between (the intent's round trip, the rename and the folder's fsync).
        private Task? _flushing;
        // The folders Prepare made for the key, their names made durable in their parents, in the background.
        private Task? _foldersSynced;
        private string? _preparedKey;
        private List<string>? _preparedFolders;

        public string Key => _key ?? "";

        public Stream Stream => stream;

        public ValueTask CommitAsync(CancellationToken cancellationToken) =>
            _key is null || path is null
                ? throw new InvalidOperationException("This write was begun without a key: commit it with one.")
                : CommitToAsync(path, cancellationToken);

        public ValueTask CommitAsync(string key, CancellationToken cancellationToken)
        {
            if (_key is not null && !string.Equals(_key, key, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"This write was begun for key '{_key}'.");
            }

            var target = store.PathFor(key);
            _key = key;
            return CommitToAsync(target, cancellationToken);
        }

        public void Prepare(string key)
        {
            ObjectDisposedException.ThrowIf(_committed, this);
            if (_preparedKey is not null || (_key is not null && !string.Equals(_key, key, StringComparison.Ordinal)))
            {
                return;
            }

            _preparedKey = key;
            var directory = Path.GetDirectoryName(store.PathFor(key))!;
            if (Directory.Exists(directory))
            {
                return; // a known series: the commit fsyncs the one folder that gains the name
            }

            // A new study's folder is a new name in the root, a new series' folder one in the study's folder: they are
            // made, and each parent fsynced (deepest first), on a pool thread while the bytes still arrive; every commit
            // into them waits for those fsyncs (WaitForFolderSyncsAsync).
            _foldersSynced = Task.Run(() =>
            {
                var (made, synced) = store.CreateDirectoriesTracked(directory);
                if (synced is not null)
                {
                    _preparedFolders = made;
                    SyncParents(store, made, synced);
                }
            });
        }

        public void RecordContentHash(ReadOnlySpan<byte> sha256)
        {
            ObjectDisposedException.ThrowIf(_committed, this);
            if (Libc.Supported && sha256.Length > 0)
            {
                // On the staging file, before its fsync, which makes the attribute durable with the bytes (it is inode
                // metadata). A filesystem without user attributes (ENOTSUP) costs the rebuild a full read, nothing else.
                _ = Libc.SetXattr(temp, ContentHashAttribute, ref System.Runtime.InteropServices.MemoryMarshal.GetReference(sha256), sha256.Length, 0);
            }
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_committed, this);
            cancellationToken.ThrowIfCancellationRequested();
            return new ValueTask(StartFlush());
        }

        private Task StartFlush() => _flushing ??= Task.Run(stream.FlushToDisk);

        private async ValueTask CommitToAsync(string target, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_committed, this);
            cancellationToken.ThrowIfCancellationRequested();
            // Every write the blob needs to survive a power cut runs at once and is awaited before this returns: the
            // bytes' fsync (started by FlushAsync, or here), the name's folder's fsync after the rename, and the parents
            // of any folder made for it (Prepare, or here). The name may reach the disk before the bytes do; nothing
            // points at it until the index commits, which the caller does only after this returns, and a crash in
            // between leaves a blob with an intent row and no index row, which the reconciler deletes.
            var flushing = StartFlush();
            var directory = Path.GetDirectoryName(target)!;
            var created = new List<(List<string> Made, TaskCompletionSource Synced)>();
            try
            {
                // The marker first: from the rename on, a blob the index may never take exists, and its marker is how
                // the reconciler finds it (a gateway dying here leaves both). Not fsynced: a power cut that loses it
                // while the renamed blob survives leaks that blob, as an intent committed asynchronously could before;
                // nothing acknowledged depends on it.
                store.WriteMarker(_key!);
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        if (store.CreateDirectoriesTracked(directory) is (var made, { } synced))
                        {
                            created.Add((made, synced));
                        }

                        File.Move(temp, target, overwrite: true);
                        break;
                    }
                    catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException && attempt < 10 && File.Exists(temp))
                    {
                        // A delete in the same folder removed it, empty, between our check and our rename, or removed a
                        // parent while Directory.CreateDirectory was making the child (FileNotFoundException): make it again.
                    }
                }

                _committed = true;
                store.FsyncFolder(directory);
                // A directory made for this blob here (not by Prepare, or removed since) is itself a name in its parent:
                // without the parent's fsync a power cut can lose the directory, and the acknowledged blob in it, on
                // filesystems that do not journal metadata in order.
                foreach (var (made, synced) in created)
                {
                    SyncParents(store, made, synced);
                }

                await flushing.ConfigureAwait(false);
                // Folders made by Prepare, or by another writer a moment ago, whose parents' fsyncs may still run.
                await store.WaitForFolderSyncsAsync(directory).ConfigureAwait(false);
            }
            finally
            {
                // The fd stays open until its fsync is over, whatever failed.
                await WaitQuietlyAsync(flushing).ConfigureAwait(false);
                await WaitQuietlyAsync(_foldersSynced).ConfigureAwait(false);
                if (_committed)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_committed)
            {
                return;
            }

            await WaitQuietlyAsync(_flushing).ConfigureAwait(false);
            await WaitQuietlyAsync(_foldersSynced).ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // Left for the reconciler's staging sweep.
            }

            if (_preparedFolders is [var deepest, ..])
            {
                // A refused instance leaves no empty folder behind (rmdir removes only an empty one: a concurrent
                // writer's blob keeps it, and a writer that finds it gone makes it again, see CommitToAsync).
                store.RemoveEmptyDirectories(deepest);
            }
        }

        /// <summary>Deepest first, so that each fsync covers a name already durable below it; the store is told either way.</summary>
        private static void SyncParents(FileBlobStore store, List<string> made, TaskCompletionSource synced)
        {
            try
            {
                foreach (var folder in made)
                {
                    store.FsyncFolder(Path.GetDirectoryName(folder)!);
                }
            }
            catch (Exception e)
            {
                store.FoldersSynced(made, synced, e);
                throw;
            }

            store.FoldersSynced(made, synced, null);
        }

        private static async ValueTask WaitQuietlyAsync(Task? task)
        {
            if (task is null)
            {
                return;
            }

            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Reported by whoever awaited it for the outcome.
            }
        }
    }

    /// <summary>
    /// The staging file, asking the kernel to start writing back every few hundred KiB as they arrive (Linux
    /// sync_file_range, SYNC_FILE_RANGE_WRITE: initiate, don't wait), so that the fsync at commit finds most of the
    /// data already on its way to disk and the sender's wait for the acknowledgement shrinks by most of a disk write.
    /// Durability is still the fsync's alone.
    /// </summary>
    private sealed class WritebackStream(FileStream file) : StagingStream
    {
        private const long Step = 256 * 1024;
        private long _written;
        private long _started;

        public override long Length => _written;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            file.Write(buffer);
            _written += buffer.Length;
            if (_written - _started >= Step && Libc.Supported)
            {
                file.Flush();
                WritebackSync.Start(file.SafeFileHandle, _started, _written - _started);
                _started = _written;
            }
        }

        public override void FlushToDisk() => file.Flush(flushToDisk: true);

        public override void Flush() => file.Flush();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                file.Dispose();
            }

            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => file.DisposeAsync();
    }

    /// <summary>A read-only window of <c>count</c> bytes from the inner stream's current position.</summary>
    private sealed class RangeStream(Stream inner, long count) : Stream
    {
        private readonly long _length = count;
        private long _remaining = count;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int size) => Read(buffer.AsSpan(offset, size));

        public override int Read(Span<byte> buffer)
        {
            if (_remaining <= 0)
            {
                return 0;
            }

            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
            _remaining -= n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int size, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, size), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_remaining <= 0)
            {
                return 0;
            }

            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
            _remaining -= n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int size) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
