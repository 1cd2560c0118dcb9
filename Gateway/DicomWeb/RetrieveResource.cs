using System.Buffers;
using System.Buffers.Binary;
using Pacs.Dicom;
using Pacs.Dicom.Codecs;
using Pacs.Dicom.IO;
using Pacs.Gateway.Storage;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// WADO-RS retrieve of studies, series and instances (PS3.18 10.4.1.1.1) as multipart/related; type="application/dicom".
/// Each part is a Part 10 stream: a File Meta Information built for the instance, then the blob copied as it is read
/// (never held whole) when the stored transfer syntax is what was asked; native data sets are converted between
/// Implicit VR LE, Explicit VR LE and (from) Explicit VR Big Endian: the header is re-encoded, the pixel data value is
/// streamed (swapped when it was big-endian); compressed instances are decoded to a native syntax when one is named
/// (<see cref="FrameDecoders"/>). What cannot be produced is 406, decided before the first byte is sent.
/// </summary>
internal static class RetrieveResource
{
    private static readonly DicomTransferSyntax[] NativeTargets = [DicomTransferSyntax.ExplicitVRLittleEndian, DicomTransferSyntax.ImplicitVRLittleEndian];

    public static Task RetrieveStudyAsync(string study, HttpContext http, IndexReader index, IBlobStore blobs, PixelDataLocator locator, CancellationToken cancellationToken) =>
        RetrieveAsync(http, index, blobs, locator, study, null, null, cancellationToken);

    public static Task RetrieveSeriesAsync(string study, string series, HttpContext http, IndexReader index, IBlobStore blobs, PixelDataLocator locator, CancellationToken cancellationToken) =>
        RetrieveAsync(http, index, blobs, locator, study, series, null, cancellationToken);

    public static Task RetrieveInstanceAsync(string study, string series, string instance, HttpContext http, IndexReader index, IBlobStore blobs, PixelDataLocator locator, CancellationToken cancellationToken) =>
        RetrieveAsync(http, index, blobs, locator, study, series, instance, cancellationToken);

    /// <summary>What an instance stored in <paramref name="stored"/> can be sent as: the stored form first.</summary>
    public static IReadOnlyList<Representation> Offers(DicomTransferSyntax stored)
    {
        var offers = new List<Representation> { new(PixelMediaTypes.Dicom, stored.Uid) };
        if (stored.IsNative && !stored.IsDeflated)
        {
            foreach (var target in NativeTargets)
            {
                if (target.Uid != stored.Uid)
                {
                    offers.Add(new(PixelMediaTypes.Dicom, target.Uid));
                }
            }
        }

        return offers;
    }

    /// <summary>What a compressed instance can be decoded to (<see cref="FrameDecoders.CanDecode"/>): the native little-endian syntaxes.</summary>
    public static IReadOnlyList<Representation> DecodedOffers(DicomTransferSyntax stored) =>
        stored.IsEncapsulated && FrameDecoders.CanDecode(stored) ? NativeTargets.Select(t => new Representation(PixelMediaTypes.Dicom, t.Uid)).ToList() : [];

    private static async Task RetrieveAsync(HttpContext http, IndexReader index, IBlobStore blobs, PixelDataLocator locator,
        string study, string? series, string? sop, CancellationToken cancellationToken)
    {
        var instances = await DicomWebUris.InstancesAsync(index, study, series, sop, cancellationToken).ConfigureAwait(false);
        var ranges = AcceptHeader.Parse(http.Request.Headers.Accept);
        var plan = new List<(IndexedInstance Instance, DicomTransferSyntax Stored, DicomTransferSyntax Target)>(instances.Count);
        foreach (var instance in instances)
        {
            var stored = DicomTransferSyntax.Resolve(instance.TransferSyntaxUid);
            // A compressed instance is decoded only when a native syntax is named (transfer-syntax=1.2.840.10008.1.2.1):
            // a request that names none still gets the stored form, as before, rather than a decoding it did not ask for.
            var negotiated = AcceptHeader.Negotiate(ranges, Offers(stored), PixelMediaTypes.Dicom, DicomTransferSyntax.ExplicitVRLittleEndian.Uid, multipartByDefault: true)
                ?? AcceptHeader.Negotiate(ranges, DecodedOffers(stored), PixelMediaTypes.Dicom, null, multipartByDefault: true)
                ?? throw DicomWebException.NotAcceptable($"Instance {instance.SopInstanceUid} is stored as {stored.Uid} and cannot be sent as asked ({http.Request.Headers.Accept}).");
            plan.Add((instance, stored, DicomTransferSyntax.Resolve(negotiated.Representation.TransferSyntaxUid!)));
        }

        var boundary = MultipartRelatedWriter.NewBoundary();
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        var single = plan.Select(p => p.Target.Uid).Distinct().Count() == 1 ? plan[0].Target.Uid : null;
        response.ContentType = MultipartRelatedWriter.ContentType(boundary, PixelMediaTypes.Dicom, single);
        var body = response.Body;
        var multipart = new MultipartRelatedWriter(body, boundary);
        foreach (var (instance, stored, target) in plan)
        {
            await multipart.BeginPartAsync(PixelMediaTypes.Dicom, target.Uid, cancellationToken: cancellationToken).ConfigureAwait(false);
            await WritePart10Async(body, instance, stored, target, blobs, locator, cancellationToken).ConfigureAwait(false);
        }
        await multipart.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Preamble, "DICM" and the File Meta Information (PS3.10 7.1) of an instance sent in <paramref name="syntax"/>.</summary>
    public static byte[] Part10Prefix(string sopClassUid, string sopInstanceUid, DicomTransferSyntax syntax)
    {
        var identity = new DicomDataset();
        identity.SetString(DicomTag.SOPClassUID, DicomVR.UI, sopClassUid);
        identity.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, sopInstanceUid);
        var meta = DicomFile.Create(identity, syntax).FileMetaInformation;
        // Written here rather than by DicomWriter.WriteFile, which would also encode an (empty) data set: for a deflated
        // syntax that is a deflate stream of its own, and the stored data set follows the meta header directly.
        var groupLength = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(groupLength, (uint)DicomWriter.EncodedLength(meta, DicomTransferSyntax.ExplicitVRLittleEndian));
        meta.Set(DicomTag.FileMetaInformationGroupLength, DicomVR.UL, groupLength);
        var buffer = new ArrayBufferWriter<byte>(512);
        buffer.Write(new byte[128]);
        buffer.Write("DICM"u8);
        DicomWriter.WriteDataset(buffer, meta, DicomTransferSyntax.ExplicitVRLittleEndian);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// One instance as a Part 10 stream in <paramref name="target"/> (WADO-RS parts, WADO-URI application/dicom): the
    /// blob copied as it is read when the syntax is unchanged, else a native-to-native conversion.
    /// </summary>
    internal static async Task WritePart10Async(Stream output, IndexedInstance instance, DicomTransferSyntax stored, DicomTransferSyntax target,
        IBlobStore blobs, PixelDataLocator locator, CancellationToken cancellationToken)
    {
        await output.WriteAsync(Part10Prefix(instance.SopClassUid, instance.SopInstanceUid, target), cancellationToken).ConfigureAwait(false);
        if (target.Uid == stored.Uid)
        {
            await using var blob = await blobs.OpenReadAsync(instance.BlobKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            await blob.CopyToAsync(output, 128 * 1024, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (stored.IsEncapsulated && NativeTargets.Any(t => t.Uid == target.Uid))
        {
            await DecompressAsync(output, instance.BlobKey, stored, target, blobs, locator, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (stored.IsDeflated || !NativeTargets.Any(t => t.Uid == target.Uid))
        {
            // Conversions WADO-RS does not offer (from deflated, whose bytes cannot be addressed by range (PS3.5 A.5), or
            // to big endian or deflated), asked for by WADO-URI's transferSyntax: the data set is read whole and rewritten.
            var dataset = DicomReader.ReadDataset(await BlobCopy.ReadAllAsync(blobs, instance.BlobKey, cancellationToken).ConfigureAwait(false), stored).Dataset;
            await output.WriteAsync(DicomWriter.ToBytes(dataset, target), cancellationToken).ConfigureAwait(false);
            return;
        }
        await ConvertAsync(output, instance.BlobKey, stored, target, blobs, locator, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Re-encodes a native data set in <paramref name="target"/>: the header through the writer, the pixel data value
    /// streamed, then the (short) elements after it re-encoded; a tail over 1 MiB is not sent.
    /// </summary>
    private static async Task ConvertAsync(Stream output, string blobKey, DicomTransferSyntax stored, DicomTransferSyntax target,
        IBlobStore blobs, PixelDataLocator locator, CancellationToken cancellationToken)
    {
        var header = await locator.ReadHeaderAsync(blobKey, stored, 64 * 1024, cancellationToken).ConfigureAwait(false);
        await LoadBulkValuesAsync(header.Dataset, blobKey, stored, blobs, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(DicomWriter.ToBytes(header.Dataset, target), cancellationToken).ConfigureAwait(false);
        if (!header.StoppedAtPixelData)
        {
            return;
        }

        var layout = await locator.LocateAsync(blobKey, stored, cancellationToken).ConfigureAwait(false);
        if (layout is null || layout.Encapsulated)
        {
            return;
        }

        var vr = stored.IsExplicitVR ? layout.VR : DicomVR.OW;
        var length = (uint)layout.Value.Length;
        var element = new byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(element, 0x7FE0);
        BinaryPrimitives.WriteUInt16LittleEndian(element.AsSpan(2), 0x0010);
        if (target.IsExplicitVR)
        {
            element[4] = vr.First;
            element[5] = vr.Second;
            BinaryPrimitives.WriteUInt32LittleEndian(element.AsSpan(8), length);
            await output.WriteAsync(element, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(element.AsSpan(4), length);
            await output.WriteAsync(element.AsMemory(0, 8), cancellationToken).ConfigureAwait(false);
        }
        await BlobCopy.CopyRangeAsync(blobs, blobKey, layout.Value, layout.SwapUnit, output, cancellationToken).ConfigureAwait(false);

        // Elements after Pixel Data (Data Set Trailing Padding, in practice) are short: re-encoded like the header.
        var tailOffset = layout.Value.Offset + layout.Value.Length;
        await using var tail = await blobs.OpenReadAsync(blobKey, tailOffset, MaxTail + 1, cancellationToken).ConfigureAwait(false);
        using var tailBytes = new MemoryStream();
        await tail.CopyToAsync(tailBytes, cancellationToken).ConfigureAwait(false);
        if (tailBytes.Length is 0 or > MaxTail)
        {
            return;
        }

        var trailing = DicomReader.ReadDataset(tailBytes.ToArray(), stored).Dataset;
        await output.WriteAsync(DicomWriter.ToBytes(trailing, target), cancellationToken).ConfigureAwait(false);
    }

    private const int MaxTail = 1024 * 1024;

    /// <summary>
    /// A compressed instance in a native syntax: the header re-encoded with what decoding changes (Photometric
    /// Interpretation, Planar Configuration 0, Lossy Image Compression "01" after a lossy syntax, PS3.3 C.7.6.1.1.5;
    /// the Extended Offset Table dropped, PS3.5 A.4), then the frames decoded one at a time into one native Pixel Data
    /// value (PS3.5 8.1.1), so that memory holds one frame. Elements after Pixel Data are not sent. A frame that fails to
    /// decode after the first byte was sent aborts the response.
    /// </summary>
    private static async Task DecompressAsync(Stream output, string blobKey, DicomTransferSyntax stored, DicomTransferSyntax target,
        IBlobStore blobs, PixelDataLocator locator, CancellationToken cancellationToken)
    {
        var decoder = FrameDecoders.Find(stored) ?? throw DicomWebException.NotAcceptable($"Pixel data in {stored.Name} cannot be decoded.");
        var header = await locator.ReadHeaderAsync(blobKey, stored, 64 * 1024, cancellationToken).ConfigureAwait(false);
        await LoadBulkValuesAsync(header.Dataset, blobKey, stored, blobs, cancellationToken).ConfigureAwait(false);
        var dataset = header.Dataset;
        var layout = header.StoppedAtPixelData ? await locator.LocateAsync(blobKey, stored, cancellationToken).ConfigureAwait(false) : null;
        if (layout is not { Encapsulated: true })
        {
            await output.WriteAsync(DicomWriter.ToBytes(dataset, target), cancellationToken).ConfigureAwait(false);
            return;
        }

        var geometry = FrameGeometry.FromDataset(dataset) ?? throw DicomWebException.NotAcceptable("The Image Pixel module is incomplete; the pixel data cannot be decoded.");
        var groups = await EncapsulatedFrames.GroupsAsync(blobs, blobKey, layout, cancellationToken).ConfigureAwait(false)
            ?? throw DicomWebException.NotAcceptable($"The fragments cannot be assigned to frames ({layout.Fragments.Count} fragments for {layout.NumberOfFrames} frames).");
        var length = groups.Count * geometry.Length;
        if (length >= uint.MaxValue - 1)
        {
            throw DicomWebException.NotAcceptable("The decoded pixel data would exceed the 4 GiB a native value can hold.");
        }

        if (dataset.GetString(DicomTag.PhotometricInterpretation) is { } photometric)
        {
            dataset.SetString(DicomTag.PhotometricInterpretation, DicomVR.CS, FrameDecoders.DecodedPhotometric(stored, photometric.Trim()));
        }

        if (geometry.SamplesPerPixel > 1)
        {
            dataset.SetUInt16(DicomTag.PlanarConfiguration, DicomVR.US, 0);
        }

        if (stored.IsLossy)
        {
            dataset.SetString(DicomTag.LossyImageCompression, DicomVR.CS, "01");
        }

        dataset.Remove(DicomTag.ExtendedOffsetTable);
        dataset.Remove(DicomTag.ExtendedOffsetTableLengths);
        await output.WriteAsync(DicomWriter.ToBytes(dataset, target), cancellationToken).ConfigureAwait(false);

        // PS3.5 8.1.1: OB for 8 bits allocated, else OW (Explicit VR); values of even length.
        var padded = length + (length & 1);
        var element = new byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(element, 0x7FE0);
        BinaryPrimitives.WriteUInt16LittleEndian(element.AsSpan(2), 0x0010);
        if (target.IsExplicitVR)
        {
            var vr = geometry.BitsAllocated > 8 ? DicomVR.OW : DicomVR.OB;
            element[4] = vr.First;
            element[5] = vr.Second;
            BinaryPrimitives.WriteUInt32LittleEndian(element.AsSpan(8), (uint)padded);
            await output.WriteAsync(element, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(element.AsSpan(4), (uint)padded);
            await output.WriteAsync(element.AsMemory(0, 8), cancellationToken).ConfigureAwait(false);
        }

        for (var f = 0; f < groups.Count; f++)
        {
            var frame = await EncapsulatedFrames.DecodeAsync(blobs, blobKey, layout, groups, f, decoder, geometry, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        if (padded != length)
        {
            await output.WriteAsync(new byte[1], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Values the header read left in the blob (64 KiB or more) are read now, so the writer can encode them.</summary>
    private static async Task LoadBulkValuesAsync(DicomDataset dataset, string blobKey, DicomTransferSyntax stored, IBlobStore blobs, CancellationToken cancellationToken)
    {
        List<DicomElement>? loaded = null;
        foreach (var e in dataset)
        {
            if (e.Sequence is { } sq)
            {
                foreach (var item in sq.Items)
                {
                    await LoadBulkValuesAsync(item, blobKey, stored, blobs, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }
            if (e.Bulk is not { } bulk)
            {
                continue;
            }

            var bytes = new byte[bulk.Length];
            await using (var s = await blobs.OpenReadAsync(blobKey, bulk.Offset, bulk.Length, cancellationToken).ConfigureAwait(false))
            {
                await s.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            }

            if (stored.IsBigEndian)
            {
                PixelDataLayout.SwapInPlace(bytes, e.VR == DicomVR.OW || e.VR == DicomVR.US || e.VR == DicomVR.SS ? 2 : e.VR == DicomVR.OF || e.VR == DicomVR.OL || e.VR == DicomVR.UL || e.VR == DicomVR.SL || e.VR == DicomVR.FL ? 4 : e.VR == DicomVR.OD || e.VR == DicomVR.FD || e.VR == DicomVR.OV ? 8 : 1);
            }

            (loaded ??= []).Add(new DicomElement(e.Tag, e.VR, bytes));
        }
        if (loaded is null)
        {
            return;
        }

        foreach (var e in loaded)
        {
            dataset.Set(e);
        }
    }
}

/// <summary>Copies a range of a blob to a stream in bounded chunks, swapping byte order on the way when asked.</summary>
internal static class BlobCopy
{
    public static async Task CopyRangeAsync(IBlobStore blobs, string blobKey, BlobRange range, int swapUnit, Stream output, CancellationToken cancellationToken)
    {
        await using var source = await blobs.OpenReadAsync(blobKey, range.Offset, range.Length, cancellationToken).ConfigureAwait(false);
        await CopyAsync(source, range.Length, swapUnit, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A range of a blob the caller has open (seekable; several ranges of one request from one open file): at most
    /// <see cref="BlobRange.Length"/> bytes from <see cref="BlobRange.Offset"/>, fewer when the blob ends first.
    /// </summary>
    public static Task CopyRangeAsync(Stream blob, BlobRange range, int swapUnit, Stream output, CancellationToken cancellationToken)
    {
        blob.Seek(range.Offset, SeekOrigin.Begin);
        return CopyAsync(blob, range.Length, swapUnit, output, cancellationToken);
    }

    private static async Task CopyAsync(Stream source, long length, int swapUnit, Stream output, CancellationToken cancellationToken)
    {
        const int Chunk = 128 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            var carry = 0;
            var left = length;
            int n;
            while (left > 0 && (n = await source.ReadAsync(buffer.AsMemory(carry, (int)Math.Min(Chunk - carry, left)), cancellationToken).ConfigureAwait(false)) > 0)
            {
                left -= n;
                if (swapUnit <= 1)
                {
                    await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var available = carry + n;
                var whole = available - available % swapUnit;
                PixelDataLayout.SwapInPlace(buffer.AsSpan(0, whole), swapUnit);
                await output.WriteAsync(buffer.AsMemory(0, whole), cancellationToken).ConfigureAwait(false);
                carry = available - whole;
                if (carry > 0)
                {
                    buffer.AsSpan(whole, carry).CopyTo(buffer);
                }
            }
            if (carry > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, carry), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The fragments of encapsulated Pixel Data one after the other (PS3.5 A.4): a frame, or a video's stream.</summary>
    public static async Task CopyFragmentsAsync(IBlobStore blobs, string blobKey, IEnumerable<BlobRange> fragments, Stream output, CancellationToken cancellationToken)
    {
        foreach (var fragment in fragments)
        {
            await CopyRangeAsync(blobs, blobKey, fragment, 1, output, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A whole blob in memory: only for deflated data sets, of which no range can be read (PS3.5 A.5).</summary>
    public static async Task<byte[]> ReadAllAsync(IBlobStore blobs, string blobKey, CancellationToken cancellationToken)
    {
        await using var source = await blobs.OpenReadAsync(blobKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        using var copy = new MemoryStream();
        await source.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        return copy.ToArray();
    }

    public static async Task<byte[]> ReadRangeAsync(IBlobStore blobs, string blobKey, BlobRange range, int swapUnit, CancellationToken cancellationToken)
    {
        var bytes = new byte[range.Length];
        await using (var source = await blobs.OpenReadAsync(blobKey, range.Offset, range.Length, cancellationToken).ConfigureAwait(false))
        {
            await source.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        }

        if (swapUnit > 1)
        {
            PixelDataLayout.SwapInPlace(bytes, swapUnit);
        }

        return bytes;
    }
}
