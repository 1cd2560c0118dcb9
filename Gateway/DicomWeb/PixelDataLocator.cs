using System.Buffers.Binary;
using System.Collections.Concurrent;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Gateway.Storage;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// Finds the pixel data of a stored instance: parses its blob up to Pixel Data (the reader's EndOffset when it stopped
/// there), reads that element's header, and for encapsulated data walks the item headers (seeking past the fragment
/// bytes). Computed on demand rather than stored in the index at ingest: it costs one header read per instance and
/// gateway, and a blob key is new for every write (random suffix), so a cached layout never goes stale (a replaced
/// instance has a new key). The cache is bounded by entry count.
/// </summary>
public sealed class PixelDataLocator(IBlobStore blobs)
{
    private const int MaxCachedLayouts = 50_000;
    private readonly ConcurrentDictionary<string, PixelDataLayout> _cache = new(StringComparer.Ordinal);

    // The header is small; a long Extended Offset Table or LUT is still read in full (bounded).
    private static readonly DicomReadOptions HeaderOptions = DicomReadOptions.HeaderOnly with
    {
        BulkDataThreshold = 4 * 1024 * 1024,
        MaxBufferedValueLength = 4 * 1024 * 1024,
    };

    /// <summary>The layout of the instance's Pixel Data; null when it has none.</summary>
    public async ValueTask<PixelDataLayout?> LocateAsync(string blobKey, DicomTransferSyntax syntax, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(blobKey, out var cached))
        {
            return cached;
        }

        return (await ReadAsync(blobKey, syntax, cancellationToken).ConfigureAwait(false)).Layout;
    }

    /// <summary>
    /// The header (up to Pixel Data; values of 4 MiB or more left as <see cref="BulkDataReference"/>s) and the layout of
    /// the Pixel Data (null when there is none): what rendering needs, with one header read.
    /// </summary>
    public async ValueTask<(DicomDataset Header, PixelDataLayout? Layout)> ReadAsync(string blobKey, DicomTransferSyntax syntax, CancellationToken cancellationToken)
    {
        if (syntax.IsDeflated)
        {
            throw DicomWebException.NotAcceptable("Frames and pixel bulk data of deflated instances are not offered.");
        }

        DicomReadResult header;
        await using (var stream = await blobs.OpenReadAsync(blobKey, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            header = await DicomReader.ReadDatasetAsync(stream, syntax, HeaderOptions, cancellationToken).ConfigureAwait(false);
        }

        var ds = header.Dataset;
        if (!header.StoppedAtPixelData)
        {
            return (ds, null);
        }

        if (_cache.TryGetValue(blobKey, out var cached))
        {
            return (ds, cached);
        }

        var layout = await ReadElementAsync(blobKey, syntax, header.EndOffset, ds, cancellationToken).ConfigureAwait(false);
        if (layout is null)
        {
            return (ds, null);
        }

        if (_cache.Count >= MaxCachedLayouts)
        {
            _cache.Clear();
        }

        _cache[blobKey] = layout;
        return (ds, layout);
    }

    /// <summary>
    /// The layout of the Pixel Data element whose tag is at <paramref name="elementOffset"/> (a header read's EndOffset),
    /// read by seeking: its element header, and for an item sequence each item's header, never the values. Null for
    /// Float and Double Float Pixel Data. Also what the index rebuild checks a blob's end with (<see cref="PixelDataLayout.Truncated"/>).
    /// </summary>
    internal async Task<PixelDataLayout?> ReadElementAsync(string blobKey, DicomTransferSyntax syntax, long elementOffset, DicomDataset ds, CancellationToken cancellationToken)
    {
        await using var stream = await blobs.OpenReadAsync(blobKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await ReadElementAsync(stream, syntax, elementOffset, ds, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As <see cref="ReadElementAsync(string, DicomTransferSyntax, long, DicomDataset, CancellationToken)"/>, on a blob the caller has open (seekable).</summary>
    internal static async Task<PixelDataLayout?> ReadElementAsync(Stream stream, DicomTransferSyntax syntax, long elementOffset, DicomDataset ds, CancellationToken cancellationToken)
    {
        if (!stream.CanSeek)
        {
            throw new NotSupportedException("Pixel data location needs a seekable blob stream.");
        }

        stream.Seek(elementOffset, SeekOrigin.Begin);
        var head = new byte[12];
        var bigEndian = syntax.IsBigEndian;
        await stream.ReadExactlyAsync(head.AsMemory(0, 8), cancellationToken).ConfigureAwait(false);
        var group = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(head) : BinaryPrimitives.ReadUInt16LittleEndian(head);
        var element = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(2)) : BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(2));
        if (group != 0x7FE0 || element != 0x0010)
        {
            return null; // Float/Double Float Pixel Data: not offered as frames
        }

        DicomVR vr;
        uint length;
        long valueOffset;
        if (syntax.IsExplicitVR)
        {
            vr = DicomVR.FromChars(head[4], head[5]);
            await stream.ReadExactlyAsync(head.AsMemory(8, 4), cancellationToken).ConfigureAwait(false);
            length = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(8)) : BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(8));
            valueOffset = elementOffset + 12;
        }
        else
        {
            vr = DicomVR.OW; // PS3.5 A.1: Pixel Data is OW in Implicit VR
            length = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(4));
            valueOffset = elementOffset + 8;
        }

        var layout = new PixelDataLayout
        {
            TransferSyntax = syntax,
            VR = vr,
            Rows = ds.GetUInt16(DicomTag.Rows) ?? 0,
            Columns = ds.GetUInt16(DicomTag.Columns) ?? 0,
            SamplesPerPixel = ds.GetUInt16(DicomTag.SamplesPerPixel) ?? 1,
            BitsAllocated = ds.GetUInt16(DicomTag.BitsAllocated) ?? 0,
            NumberOfFrames = Math.Max(1, ds.GetInt32(DicomTag.NumberOfFrames) ?? 1),
        };
        if (length != 0xFFFFFFFF)
        {
            return layout with { Value = new BlobRange(valueOffset, Math.Min(length, Math.Max(0, stream.Length - valueOffset))), Truncated = valueOffset + length > stream.Length };
        }

        // PS3.5 A.4: items (FFFE,E000) up to the sequence delimiter (FFFE,E0DD); the first is the Basic Offset Table.
        var fragments = new List<BlobRange>();
        byte[]? basicOffsetTable = null;
        var position = valueOffset;
        var item = new byte[8];
        var delimited = false;
        while (position + 8 <= stream.Length)
        {
            stream.Seek(position, SeekOrigin.Begin);
            await stream.ReadExactlyAsync(item, cancellationToken).ConfigureAwait(false);
            var tag = ((uint)BinaryPrimitives.ReadUInt16LittleEndian(item) << 16) | BinaryPrimitives.ReadUInt16LittleEndian(item.AsSpan(2));
            var itemLength = BinaryPrimitives.ReadUInt32LittleEndian(item.AsSpan(4));
            if (tag == 0xFFFEE0DD)
            {
                delimited = true;
                break;
            }

            if (tag != 0xFFFEE000 || itemLength == 0xFFFFFFFF)
            {
                throw new DicomFormatException("Bad item in encapsulated Pixel Data", position, DicomTag.PixelData);
            }

            var value = new BlobRange(position + 8, Math.Min(itemLength, Math.Max(0, stream.Length - position - 8)));
            if (basicOffsetTable is null)
            {
                basicOffsetTable = new byte[value.Length];
                await stream.ReadExactlyAsync(basicOffsetTable, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                fragments.Add(value);
            }
            position = value.Offset + itemLength;
        }

        IReadOnlyList<ulong>? offsets = null;
        if (ds.TryGetElement(DicomTag.ExtendedOffsetTable, out var eot) && eot.Value.Length >= 8)
        {
            var span = eot.Value.Span;
            var list = new ulong[span.Length / 8];
            for (var i = 0; i < list.Length; i++)
            {
                list[i] = BinaryPrimitives.ReadUInt64LittleEndian(span[(i * 8)..]);
            }

            offsets = list;
        }
        else if (basicOffsetTable is { Length: >= 4 })
        {
            var list = new ulong[basicOffsetTable.Length / 4];
            for (var i = 0; i < list.Length; i++)
            {
                list[i] = BinaryPrimitives.ReadUInt32LittleEndian(basicOffsetTable.AsSpan(i * 4));
            }

            offsets = list;
        }
        // PS3.5 A.4: the items end with a Sequence Delimitation Item; without it the blob was cut short.
        return layout with { Fragments = fragments, FrameOffsets = offsets, ItemSequence = true, Truncated = !delimited };
    }

    /// <summary>
    /// The header of an instance read from its blob (up to Pixel Data) with values of <paramref name="threshold"/> bytes
    /// or more left as <see cref="BulkDataReference"/>s (blob offsets): what bulk data requests navigate.
    /// </summary>
    public async ValueTask<DicomReadResult> ReadHeaderAsync(string blobKey, DicomTransferSyntax syntax, long threshold, CancellationToken cancellationToken)
    {
        await using var stream = await blobs.OpenReadAsync(blobKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await DicomReader.ReadDatasetAsync(stream, syntax, DicomReadOptions.HeaderOnly with
        {
            BulkDataThreshold = threshold,
            MaxBufferedValueLength = (int)Math.Min(threshold, int.MaxValue),
        }, cancellationToken).ConfigureAwait(false);
    }
}
