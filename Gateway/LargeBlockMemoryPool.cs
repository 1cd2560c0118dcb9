using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Pacs.Gateway;

/// <summary>
/// Kestrel's memory pool with 64 KiB blocks instead of its default 4 KiB. Kestrel's socket transport receives into
/// one block at a time, so a C-STORE of a 512 KiB CT arrived in about 260 receive calls, each followed by a pipe
/// flush and a wake-up of the PDU reader; with 64 KiB blocks it is a tenth of that (docs/benchmarks.md). Blocks are
/// pinned (the socket writes into them) and reused; at most <see cref="MaxRetained"/> idle blocks are kept, the rest
/// go to the garbage collector. Connections that wait for data hold no block (Kestrel's
/// WaitForDataBeforeAllocatingBuffer), so idle keep-alive connections cost nothing here.
/// </summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;
    private const int MaxRetained = 1024; // 64 MiB of idle blocks at most

    private readonly ConcurrentQueue<byte[]> _blocks = new();
    private int _retained;
    private bool _disposed;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_blocks.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _retained);
        }
        else
        {
            block = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        }

        return new Block(this, block);
    }

    private void Return(byte[] block)
    {
        if (_disposed || Interlocked.Increment(ref _retained) > MaxRetained)
        {
            Interlocked.Decrement(ref _retained);
            return;
        }

        _blocks.Enqueue(block);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _blocks.Clear();
    }

    private sealed class Block(LargeBlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            var array = Interlocked.Exchange(ref _array, null);
            if (array is not null)
            {
                pool.Return(array);
            }
        }
    }
}
