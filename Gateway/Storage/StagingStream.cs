namespace Pacs.Gateway.Storage;

/// <summary>A staging file's stream: written front to back, then made durable at commit.</summary>
internal abstract class StagingStream : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Position { get => Length; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    // Synchronous underneath: the writes land in the page cache or go straight to the device, and an asynchronous
    // file write on Linux is a thread-pool hop per chunk that costs more than it saves at these sizes.
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Everything written is on disk, with the file's size, when this returns (fsync); nothing may be written after it.</summary>
    public abstract void FlushToDisk();
}
