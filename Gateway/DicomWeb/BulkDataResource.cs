using System.Globalization;
using Pacs.Dicom;
using Pacs.Dicom.Json;
using Pacs.Gateway.Storage;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// WADO-RS bulk data (PS3.18 10.4.1.1.5) at the BulkDataURIs the metadata hands out:
/// <c>/studies/{s}/series/{se}/instances/{i}/bulkdata/{tag}[/{item}/{tag}...]</c> (<see cref="BulkDataPath"/>). Pixel Data is its value (native, little-endian) or its fragments one after the other
/// (encapsulated: a video's stream). Without Accept, or with a single-part one, the value is the whole body
/// (what OHIF's <c>singlepart: 'bulkdata,video,pdf'</c> expects); a multipart Accept gets one part.
/// </summary>
internal static class BulkDataResource
{
    public static async Task RetrieveBulkDataAsync(string study, string series, string instance, string path, HttpContext http,
        IndexReader index, IBlobStore blobs, PixelDataLocator locator, CancellationToken cancellationToken)
    {
        var steps = BulkDataPath.Parse(path) ?? throw DicomWebException.BadRequest($"'{path}' is not a bulk data path (tag[/item/tag...]).");
        var found = (await DicomWebUris.InstancesAsync(index, study, series, instance, cancellationToken).ConfigureAwait(false))[0];
        var stored = DicomTransferSyntax.Resolve(found.TransferSyntaxUid);
        if (stored.IsDeflated)
        {
            throw DicomWebException.NotAcceptable("Bulk data of deflated instances is not offered; retrieve the instance.");
        }

        string mediaType;
        Func<Stream, Task> write;
        long length;
        if (steps.Count == 1 && steps[0].Tag == DicomTag.PixelData)
        {
            var layout = await locator.LocateAsync(found.BlobKey, stored, cancellationToken).ConfigureAwait(false)
                ?? throw DicomWebException.NotFound($"Instance {instance} has no Pixel Data.");
            if (layout.Encapsulated)
            {
                mediaType = PixelMediaTypes.ForFrames(stored).MediaType;
                length = layout.Fragments.Sum(f => f.Length);
                write = output => BlobCopy.CopyFragmentsAsync(blobs, found.BlobKey, layout.Fragments, output, cancellationToken);
            }
            else
            {
                mediaType = PixelMediaTypes.OctetStream;
                length = layout.Value.Length;
                write = output => BlobCopy.CopyRangeAsync(blobs, found.BlobKey, layout.Value, layout.SwapUnit, output, cancellationToken);
            }
        }
        else
        {
            var header = await locator.ReadHeaderAsync(found.BlobKey, stored, 1024, cancellationToken).ConfigureAwait(false);
            var element = Find(header.Dataset, steps) ?? throw DicomWebException.NotFound($"No bulk data at {path} in {instance}.");
            mediaType = PixelMediaTypes.OctetStream;
            if (element.Bulk is { } bulk)
            {
                var swap = stored.IsBigEndian ? SwapUnit(element.VR) : 1;
                length = bulk.Length;
                write = output => BlobCopy.CopyRangeAsync(blobs, found.BlobKey, new BlobRange(bulk.Offset, bulk.Length), swap, output, cancellationToken);
            }
            else
            {
                var value = element.Value;
                length = value.Length;
                write = output => output.WriteAsync(value, cancellationToken).AsTask();
            }
        }

        var offers = mediaType == PixelMediaTypes.OctetStream
            ? new[] { new Representation(mediaType, null) }
            : [new Representation(mediaType, stored.Uid), new Representation(PixelMediaTypes.OctetStream, null)];
        var negotiated = AcceptHeader.Negotiate(AcceptHeader.Parse(http.Request.Headers.Accept), offers, PixelMediaTypes.OctetStream, null, multipartByDefault: false)
            ?? throw DicomWebException.NotAcceptable($"Bulk data {path} is {mediaType}; it cannot be sent as asked ({http.Request.Headers.Accept}).");
        var chosen = negotiated.Representation;
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (!negotiated.Multipart)
        {
            response.ContentType = MultipartRelatedWriter.PartContentType(chosen.MediaType, chosen.TransferSyntaxUid);
            response.ContentLength = length;
            await write(response.Body).ConfigureAwait(false);
            return;
        }
        var boundary = MultipartRelatedWriter.NewBoundary();
        response.ContentType = MultipartRelatedWriter.ContentType(boundary, chosen.MediaType);
        var multipart = new MultipartRelatedWriter(response.Body, boundary);
        await multipart.BeginPartAsync(chosen.MediaType, chosen.TransferSyntaxUid, length, cancellationToken: cancellationToken).ConfigureAwait(false);
        await write(response.Body).ConfigureAwait(false);
        await multipart.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static DicomElement? Find(DicomDataset dataset, IReadOnlyList<DicomPathStep> steps)
    {
        var current = dataset;
        for (var i = 0; i < steps.Count; i++)
        {
            if (!current.TryGetElement(steps[i].Tag, out var e))
            {
                return null;
            }

            if (i == steps.Count - 1)
            {
                return e.Sequence is null && e.Fragments is null ? e : null;
            }

            if (e.Sequence is not { } sq || steps[i].ItemIndex >= sq.Items.Count)
            {
                return null;
            }

            current = sq.Items[steps[i].ItemIndex];
        }
        return null;
    }

    private static int SwapUnit(DicomVR vr) =>
        vr == DicomVR.OW ? 2 : vr == DicomVR.OF || vr == DicomVR.OL ? 4 : vr == DicomVR.OD || vr == DicomVR.OV ? 8 : 1;
}
