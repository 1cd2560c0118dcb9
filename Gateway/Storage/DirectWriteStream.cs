using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Pacs.Gateway.Storage;

/// <summary>
/// A staging file written with Linux O_DIRECT: the bytes go from an aligned buffer of ours straight to the device,
/// not through the page cache. Measured on the project VM (docs/benchmarks.md), copying each instance into freshly
/// allocated page-cache pages was a third of the gateway's CPU per stored CT instance, and the dirty pages it left
/// held every later writer to the disk's write-back pace. Everything we write is fsynced before the acknowledgement
/// anyway, so the page cache bought nothing on the way in. Durability is still <see cref="FlushToDisk"/>'s alone:
/// O_DIRECT bypasses the cache, not the device's volatile cache, and not the file's metadata.
/// Writes go out in <see cref="ChunkSize"/> pieces as the buffer fills, so memory stays one chunk per write in progress
/// (pooled).
/// </summary>
internal sealed class DirectWriteStream : StagingStream
{
    internal const int Alignment = 4096;
    // One write per chunk: measured here, one 512 KiB O_DIRECT write takes 0.33 ms and two of 256 KiB 0.39 ms, so a
    // typical CT or MR instance goes out in one write (plus its tail); larger ones in 1 MiB steps.
    internal const int ChunkSize = 1024 * 1024;

    private readonly int _fd;
    private bool _direct = true;
    private AlignedBuffer? _buffer;
    private int _filled;
    private long _written; // bytes handed to the file, a multiple of Alignment until the tail
    private long _length;  // bytes written by the caller
    private bool _closed;

    private DirectWriteStream(int fd)
    {
        _fd = fd;
        _buffer = AlignedBuffer.Rent();
    }

    /// <summary>
    /// Creates <paramref name="path"/> (it must not exist) for direct writes; null when the filesystem refuses O_DIRECT
    /// (tmpfs before Linux 6.6, some network filesystems) or the platform is not Linux, so the caller falls back to
    /// buffered writes.
    /// </summary>
    public static DirectWriteStream? TryCreate(string path)
    {
        if (!Libc.Supported)
        {
            return null;
        }

        var fd = Libc.Open(path, Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.OCloexec | Libc.ODirect, 0x1A4 /* 0644 */);
        if (fd >= 0)
        {
            return new DirectWriteStream(fd);
        }

        var errno = Libc.Errno;
        if (errno == Libc.EInval)
        {
            // Linux checks O_DIRECT after O_CREAT has made the file: the empty file goes, so the caller can create it.
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }

            return null;
        }

        throw new IOException($"open({path}) failed: errno {errno}.", errno);
    }

    public override bool CanWrite => !_closed;
    public override long Length => _length;

    public override void Write(ReadOnlySpan<byte> source)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        var buffer = _buffer!;
        while (!source.IsEmpty)
        {
            var n = Math.Min(ChunkSize - _filled, source.Length);
            source[..n].CopyTo(buffer.Span[_filled..]);
            _filled += n;
            _length += n;
            source = source[n..];
            if (_filled == ChunkSize)
            {
                WriteOut(0, ChunkSize);
                _filled = 0;
            }
        }
    }

    /// <summary>
    /// Writes the tail and fsyncs: the data, the file's size and its block map are on disk when this returns. The
    /// aligned part of the tail goes out direct; the last partial block (O_DIRECT writes whole blocks only) through
    /// the page cache, after clearing O_DIRECT on the descriptor (fcntl F_SETFL), so the file gets its exact length
    /// without padding it and cutting it back (an extra metadata update per instance).
    /// </summary>
    public override void FlushToDisk()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_filled > 0)
        {
            var aligned = _filled / Alignment * Alignment;
            if (aligned > 0)
            {
                WriteOut(0, aligned);
            }

            if (aligned < _filled)
            {
                LeaveDirectMode();
                WriteOut(aligned, _filled - aligned);
            }

            _filled = 0;
        }

        if (Libc.Fsync(_fd) != 0)
        {
            throw new IOException($"fsync failed: errno {Libc.Errno}.");
        }
    }

    public override void Flush()
    {
        // Nothing to push short of the device: FlushToDisk does the real work at commit.
    }

    /// <summary>Clears O_DIRECT on the descriptor (fcntl F_SETFL): later writes go through the page cache.</summary>
    private void LeaveDirectMode()
    {
        if (!_direct)
        {
            return;
        }

        var flags = Libc.Fcntl(_fd, Libc.FGetFl, 0);
        if (flags < 0 || Libc.Fcntl(_fd, Libc.FSetFl, flags & ~Libc.ODirect) < 0)
        {
            throw new IOException($"fcntl failed: errno {Libc.Errno}.");
        }

        _direct = false;
    }

    /// <summary>Writes buffer[from..from+count] at the file's current end.</summary>
    private void WriteOut(int from, int count)
    {
        var buffer = _buffer!;
        var done = 0;
        while (done < count)
        {
            var n = Libc.Pwrite(_fd, ref buffer.Span[from + done], count - done, _written + done);
            if (n < 0)
            {
                var errno = Libc.Errno;
                if (errno == Libc.EIntr)
                {
                    continue;
                }

                if (errno == Libc.EInval && _direct)
                {
                    // The filesystem took O_DIRECT at open but not this write (a block size above our 4 KiB
                    // alignment, some network filesystems): the rest of the file goes through the page cache.
                    LeaveDirectMode();
                    continue;
                }

                throw new IOException($"pwrite failed: errno {errno}.", errno);
            }

            done += (int)n;
        }

        _written += count;
    }

    protected override void Dispose(bool disposing)
    {
        if (!_closed)
        {
            _closed = true;
            _ = Libc.Close(_fd);
            if (_buffer is { } buffer)
            {
                _buffer = null;
                AlignedBuffer.Return(buffer);
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// One chunk of pinned memory aligned for O_DIRECT, from a small process-wide pool: allocating (and page-faulting)
    /// a fresh 1 MiB per instance would give back much of what bypassing the page cache saves.
    /// </summary>
    private sealed class AlignedBuffer
    {
        private const int Retained = 16;

        // A lock-free queue with its own count: buffers are returned on other threads than they were rented on, which
        // is ConcurrentBag's slow path (stealing under locks), and ConcurrentBag.Count takes every lock it has.
        private static readonly ConcurrentQueue<AlignedBuffer> Pool = new();
        private static int _pooled;

        private readonly byte[] _array;
        private readonly int _offset;

        private AlignedBuffer()
        {
            // The pinned object heap: the address never moves, so the aligned offset computed once stays aligned.
            _array = GC.AllocateUninitializedArray<byte>(ChunkSize + Alignment, pinned: true);
            var address = Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
            _offset = (int)((Alignment - (address.ToInt64() & (Alignment - 1))) & (Alignment - 1));
        }

        public Span<byte> Span => _array.AsSpan(_offset, ChunkSize);

        public static AlignedBuffer Rent()
        {
            if (Pool.TryDequeue(out var buffer))
            {
                Interlocked.Decrement(ref _pooled);
                return buffer;
            }

            return new AlignedBuffer();
        }

        public static void Return(AlignedBuffer buffer)
        {
            if (Interlocked.Increment(ref _pooled) <= Retained)
            {
                Pool.Enqueue(buffer);
            }
            else
            {
                Interlocked.Decrement(ref _pooled);
            }
        }
    }
}
