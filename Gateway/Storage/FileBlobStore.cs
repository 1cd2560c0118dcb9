namespace Pacs.Gateway.Storage;

/// <summary>
/// Blobs as files under one root folder shared by every gateway. A write goes to a temporary file in the root's
/// staging folder (same filesystem, so the final rename is atomic; O_DIRECT where the filesystem allows it, see
/// <see cref="DirectWriteStream"/>), is fsynced, renamed to the key's path, and every directory that gained a name is
/// fsynced (the destination, and the parent of each directory the commit had to create): POSIX keeps a name in its
/// directory, not in the file. Commit returns only when all are on disk.
/// </summary>
public sealed class FileBlobStore : IBlobStore
{
    internal const string StagingFolder = ".staging";

    /// <summary>The extended attribute holding the content hash (BLAKE3) of a blob's bytes (<see cref="IBlobWrite.RecordContentHash"/>).</summary>
    internal const string ContentHashAttribute = "user.pacs.blake3";

    private readonly string _root;
    private readonly string _staging;
    private volatile bool _directIo;

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
        Directory.CreateDirectory(_staging);
    }

    public string Root => _root;

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

        return ValueTask.CompletedTask;
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
        private bool _flushed;
        private string? _key = key;

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
            EnsureFlushed();
            return ValueTask.CompletedTask;
        }

        private void EnsureFlushed()
        {
            if (!_flushed)
            {
                stream.FlushToDisk();
                _flushed = true;
            }
        }

        private ValueTask CommitToAsync(string target, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_committed, this);
            cancellationToken.ThrowIfCancellationRequested();
            // fsync: the bytes are on disk before the name points at them. (Overlapping this fsync with the
            // directory's on a second thread was measured here: no faster, and more CPU in thread switches.)
            EnsureFlushed();
            stream.Dispose();
            var directory = Path.GetDirectoryName(target)!;
            var created = new List<string>();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    created.AddRange(store.CreateDirectories(directory));
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
            DirectorySync.Fsync(directory);
            // A directory made for this blob (a new study or series) is itself a name in its parent: without the
            // parent's fsync a power cut can lose the directory, and the acknowledged blob in it, on filesystems
            // that do not journal metadata in order. Deepest first, so each fsync covers a name already durable below.
            foreach (var made in created)
            {
                DirectorySync.Fsync(Path.GetDirectoryName(made)!);
            }

            return ValueTask.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            if (_committed)
            {
                return;
            }

            await stream.DisposeAsync().ConfigureAwait(false);
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // Left for the reconciler's staging sweep.
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
