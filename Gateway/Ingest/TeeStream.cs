using System.Buffers.Binary;
using Pacs.Dicom;
using Pacs.Dicom.IO;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// A read-only stream that copies everything read through it to the blob being written and to its content hash, so the
/// header parser and the blob see the same bytes in one pass. It tells a failing source (the sender went away)
/// from a failing sink (storage), which map to different outcomes.
/// </summary>
internal sealed class TeeStream(Stream source, Stream sink, ContentHash hash) : Stream
{
    public long BytesRead { get; private set; }

    public bool SourceFailed { get; private set; }

    public bool SinkFailed { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous reads only.");

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            SourceFailed = true;
            throw;
        }

        if (n > 0)
        {
            try
            {
                // Synchronous: the staging stream copies into its buffer (StagingStream); an asynchronous write would
                // cost a thread-pool hop per chunk on Linux, most of its time at these sizes.
                sink.Write(buffer.Span[..n]);
            }
            catch (Exception)
            {
                SinkFailed = true;
                throw;
            }

            hash.Append(buffer.Span[..n]);
            BytesRead += n;
        }

        return n;
    }

    /// <summary>Reads the rest of the source through the tee (the bulk data after the parsed header).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            while (await ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
