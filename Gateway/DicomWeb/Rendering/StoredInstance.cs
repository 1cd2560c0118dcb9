using System.Buffers;
using System.Buffers.Binary;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Gateway.Storage;

namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>
/// A stored instance opened for rendering: its header (large values left in the blob), and where its Pixel Data value
/// lies in the blob, so that one frame is read by range instead of the whole object. Deflated data sets, which
/// cannot be read by range, are inflated in memory.
/// </summary>
internal sealed class StoredInstance
{
    private static readonly DicomReadOptions HeaderOptions = DicomReadOptions.HeaderOnly with
    {
        BulkDataThreshold = 64 * 1024,
        MaxBufferedValueLength = 1024 * 1024,
    };

    private readonly IBlobStore _blobs;
    private readonly string _key;
    private readonly ReadOnlyMemory<byte> _inMemoryPixelData;

    private StoredInstance(IBlobStore blobs, LocatedInstance located, DicomTransferSyntax syntax, DicomDataset header, long datasetOffset,
        long pixelValueOffset, long pixelValueLength, ReadOnlyMemory<byte> inMemoryPixelData)
    {
        _blobs = blobs;
        _key = located.BlobKey;
        Located = located;
        TransferSyntax = syntax;
        Header = header;
        DatasetOffset = datasetOffset;
        PixelValueOffset = pixelValueOffset;
        PixelValueLength = pixelValueLength;
        _inMemoryPixelData = inMemoryPixelData;
    }

    public LocatedInstance Located { get; }
    public DicomTransferSyntax TransferSyntax { get; }
    public DicomDataset Header { get; }

    /// <summary>Where the data set starts in the blob (0 unless the blob is a whole Part 10 file).</summary>
    public long DatasetOffset { get; }

    /// <summary>Blob offset of the Pixel Data value; -1 without Pixel Data.</summary>
    public long PixelValueOffset { get; }

    /// <summary>Length of the Pixel Data value; -1 when encapsulated (undefined length, PS3.5 A.4).</summary>
    public long PixelValueLength { get; }

    public bool HasPixelData => PixelValueOffset >= 0 || !_inMemoryPixelData.IsEmpty;

    public static async Task<StoredInstance> OpenAsync(IBlobStore blobs, LocatedInstance located, CancellationToken cancellationToken)
    {
        var syntax = DicomTransferSyntax.Resolve(located.TransferSyntaxUid);
        var datasetOffset = await FindDatasetOffsetAsync(blobs, located.BlobKey, cancellationToken).ConfigureAwait(false);

        if (syntax.IsDeflated)
        {
            // PS3.5 A.5: one deflate stream; no byte of it can be addressed, so the whole object is inflated.
            await using var all = await blobs.OpenReadAsync(located.BlobKey, datasetOffset, null, cancellationToken).ConfigureAwait(false);
            using var copy = new MemoryStream();
            await all.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            var full = DicomReader.ReadDataset(copy.ToArray(), syntax).Dataset;
            var pixels = full.TryGetElement(DicomTag.PixelData, out var pe) && pe.Payload is null ? pe.Value : ReadOnlyMemory<byte>.Empty;
            return new StoredInstance(blobs, located, syntax, full, datasetOffset, -1, pixels.Length, pixels);
        }

        DicomReadResult header;
        await using (var stream = await blobs.OpenReadAsync(located.BlobKey, datasetOffset, null, cancellationToken).ConfigureAwait(false))
        {
            header = await DicomReader.ReadDatasetAsync(stream, syntax, HeaderOptions, cancellationToken).ConfigureAwait(false);
        }

        if (!header.StoppedAtPixelData)
        {
            return new StoredInstance(blobs, located, syntax, header.Dataset, datasetOffset, -1, -1, default);
        }

        // The Pixel Data element's header (PS3.5 7.1.2/7.1.3): tag, VR and a 4-byte length in explicit syntaxes
        // (OB/OW carry two reserved bytes), tag and length in implicit.
        var elementOffset = datasetOffset + header.EndOffset;
        var head = new byte[12];
        await using (var stream = await blobs.OpenReadAsync(located.BlobKey, elementOffset, head.Length, cancellationToken).ConfigureAwait(false))
        {
            await stream.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
        }

        var bigEndian = syntax.IsBigEndian;
        uint length;
        int headerLength;
        if (syntax.IsExplicitVR)
        {
            length = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(8)) : BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(8));
            headerLength = 12;
        }
        else
        {
            length = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(4));
            headerLength = 8;
        }

        return new StoredInstance(blobs, located, syntax, header.Dataset, datasetOffset, elementOffset + headerLength,
            length == 0xFFFFFFFFu ? -1 : length, default);
    }

    /// <summary>One native frame's bytes (1-based), read by range.</summary>
    public async Task<byte[]> ReadNativeFrameAsync(PixelDescription pixels, int frame, CancellationToken cancellationToken)
    {
        if (!HasPixelData) throw new RenderingException("The instance has no Pixel Data");
        if (TransferSyntax.IsEncapsulated || (PixelValueLength < 0 && _inMemoryPixelData.IsEmpty))
            throw new RenderingException("Compressed pixel data cannot be rendered yet");
        var frameLength = pixels.FrameLength;
        var start = (frame - 1) * frameLength;
        if (!_inMemoryPixelData.IsEmpty)
        {
            if (start + frameLength > _inMemoryPixelData.Length) throw new RenderingException("Pixel Data shorter than its frames");
            return _inMemoryPixelData.Slice((int)start, (int)frameLength).ToArray();
        }

        if (start + frameLength > PixelValueLength) throw new RenderingException("Pixel Data shorter than its frames");
        var buffer = new byte[frameLength];
        await using var stream = await _blobs.OpenReadAsync(_key, PixelValueOffset + start, frameLength, cancellationToken).ConfigureAwait(false);
        await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer;
    }

    /// <summary>
    /// Copies the fragments of encapsulated Pixel Data (PS3.5 A.4), Basic Offset Table excluded, to
    /// <paramref name="output"/>: for video (PS3.5 A.4 note: one stream split across fragments) and single-frame JPEG.
    /// </summary>
    public async Task CopyFragmentsAsync(Stream output, CancellationToken cancellationToken)
    {
        if (PixelValueLength >= 0 || PixelValueOffset < 0) throw new RenderingException("Pixel Data is not encapsulated");
        await using var stream = await _blobs.OpenReadAsync(_key, PixelValueOffset, null, cancellationToken).ConfigureAwait(false);
        var item = new byte[8];
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var first = true;
            while (true)
            {
                if (await stream.ReadAtLeastAsync(item, 8, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < 8) break;
                var group = BinaryPrimitives.ReadUInt16LittleEndian(item);
                var element = BinaryPrimitives.ReadUInt16LittleEndian(item.AsSpan(2));
                if (group != 0xFFFE || element != 0xE000) break; // sequence delimiter (FFFE,E0DD) or garbage
                long remaining = BinaryPrimitives.ReadUInt32LittleEndian(item.AsSpan(4));
                var target = first ? Stream.Null : output;
                first = false;
                while (remaining > 0)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken).ConfigureAwait(false);
                    if (n == 0) throw new RenderingException("Truncated fragment");
                    await target.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    remaining -= n;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Copies a value the header reader left in the blob (an Encapsulated Document), or returns it from memory.</summary>
    public async Task CopyValueAsync(DicomElement element, long length, Stream output, CancellationToken cancellationToken)
    {
        if (element.Bulk is { } bulk)
        {
            await using var stream = await _blobs.OpenReadAsync(_key, DatasetOffset + bulk.Offset, Math.Min(length, bulk.Length), cancellationToken).ConfigureAwait(false);
            await stream.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            return;
        }

        await output.WriteAsync(element.Value[..(int)Math.Min(length, element.Value.Length)], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole stored data set, as stored (WADO-URI application/dicom).</summary>
    public ValueTask<Stream> OpenDatasetAsync(CancellationToken cancellationToken) => _blobs.OpenReadAsync(_key, DatasetOffset, null, cancellationToken);

    /// <summary>
    /// Blobs hold the bare data set (the ingest funnel drops the meta header); a blob that is a whole Part 10 file
    /// (PS3.10 7.1) is tolerated by starting after its meta group, whose length (0002,0000) gives.
    /// </summary>
    private static async Task<long> FindDatasetOffsetAsync(IBlobStore blobs, string key, CancellationToken cancellationToken)
    {
        var head = new byte[144];
        await using var stream = await blobs.OpenReadAsync(key, 0, head.Length, cancellationToken).ConfigureAwait(false);
        var n = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (n == head.Length && head.AsSpan(128, 4).SequenceEqual("DICM"u8) && BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(132)) == 0x00000002u)
            return 144 + BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(140));
        return 0;
    }
}
