using System.Globalization;
using Pacs.Dicom;
using Pacs.Gateway.Storage;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// WADO-RS frames (PS3.18 10.4.1.1.3): one part per requested frame, in the media type of the stored syntax
/// (<see cref="PixelMediaTypes.ForFrames"/>). Native frames are range reads of the blob at the Pixel Data value
/// (frame size from Rows, Columns, Samples per Pixel, Bits Allocated), byte-swapped when stored big-endian;
/// encapsulated frames are their fragments (<see cref="PixelDataLayout.FragmentsOfFrames()"/>).
/// </summary>
internal static class FramesResource
{
    public static async Task RetrieveFramesAsync(string study, string series, string instance, string frames, HttpContext http,
        InstanceLookup instances, IBlobStore blobs, PixelDataLocator locator, CancellationToken cancellationToken)
    {
        var numbers = ParseFrameList(frames) ?? throw DicomWebException.BadRequest($"'{Shorten(frames)}' is not a list of frame numbers (1, 2, ...).");
        // A frame listed twice would be sent twice: "1,1,1,..." in one URL made a response thousands of times the
        // instance. Each frame at most once bounds a response by the instance's own size (with the check below).
        if (FirstRepeated(numbers) is { } repeated)
        {
            throw DicomWebException.BadRequest($"Frame {repeated} is listed more than once; each frame may be asked for once per request.");
        }

        var found = await instances.FindAsync(study, series, instance, cancellationToken).ConfigureAwait(false);
        try
        {
            await SendAsync(http, found, numbers, blobs, locator, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException && !http.Response.HasStarted)
        {
            // The blob went after the look-up (which may be InstanceLookup's copy of the series, up to its lifetime
            // old): the instance was deleted or replaced meanwhile. The index is asked again: 404 when it was deleted,
            // its new blob when it was replaced.
            found = await instances.FindInIndexAsync(study, series, instance, cancellationToken).ConfigureAwait(false);
            try
            {
                await SendAsync(http, found, numbers, blobs, locator, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception again) when (again is FileNotFoundException or DirectoryNotFoundException && !http.Response.HasStarted)
            {
                throw DicomWebException.NotFound($"Instance {instance} not found.");
            }
        }
    }

    /// <summary>
    /// The frames of one instance. Its blob is opened once, before anything is written, so that a blob deleted since the
    /// look-up is known while the response can still say so; every frame is then read from that one open file.
    /// </summary>
    private static async Task SendAsync(HttpContext http, IndexedInstance found, IReadOnlyList<int> numbers, IBlobStore blobs, PixelDataLocator locator,
        CancellationToken cancellationToken)
    {
        var instance = found.SopInstanceUid;
        await using var blob = await blobs.OpenReadAsync(found.BlobKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        var stored = DicomTransferSyntax.Resolve(found.TransferSyntaxUid);
        var layout = await locator.LocateAsync(found.BlobKey, stored, cancellationToken).ConfigureAwait(false)
            ?? throw DicomWebException.NotFound($"Instance {instance} has no Pixel Data.");
        foreach (var n in numbers)
        {
            if (n > layout.NumberOfFrames)
            {
                throw DicomWebException.NotFound($"Instance {instance} has {layout.NumberOfFrames} frame(s); frame {n} does not exist.");
            }
        }

        var offer = PixelMediaTypes.ForFrames(stored);
        var negotiated = AcceptHeader.Negotiate(AcceptHeader.Parse(http.Request.Headers.Accept), [offer], PixelMediaTypes.OctetStream, null, multipartByDefault: true)
            ?? throw DicomWebException.NotAcceptable($"Frames of {instance} are {offer.MediaType} ({stored.Uid}); they cannot be sent as asked ({http.Request.Headers.Accept}).");

        IReadOnlyList<int[]>? fragmentsOfFrames = null;
        if (layout.Encapsulated)
        {
            fragmentsOfFrames = layout.FragmentsOfFrames()
                ?? throw DicomWebException.NotAcceptable($"The fragments of {instance} cannot be assigned to frames (no offset table, {layout.Fragments.Count} fragments for {layout.NumberOfFrames} frames).");
        }
        else
        {
            foreach (var n in numbers)
            {
                if (layout.NativeFrame(n - 1) is null)
                {
                    throw DicomWebException.NotFound($"Frame {n} of {instance} lies outside its Pixel Data.");
                }
            }
        }

        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        var body = response.Body;
        if (!negotiated.Multipart && numbers.Count == 1)
        {
            response.ContentType = MultipartRelatedWriter.PartContentType(offer.MediaType, offer.TransferSyntaxUid);
            await WriteFrameAsync(body, layout, fragmentsOfFrames, numbers[0] - 1, blob, cancellationToken).ConfigureAwait(false);
            return;
        }
        var boundary = MultipartRelatedWriter.NewBoundary();
        response.ContentType = MultipartRelatedWriter.ContentType(boundary, offer.MediaType, offer.TransferSyntaxUid);
        var multipart = new MultipartRelatedWriter(body, boundary);
        foreach (var n in numbers)
        {
            await multipart.BeginPartAsync(offer.MediaType, offer.TransferSyntaxUid, FrameLength(layout, fragmentsOfFrames, n - 1), cancellationToken: cancellationToken).ConfigureAwait(false);
            await WriteFrameAsync(body, layout, fragmentsOfFrames, n - 1, blob, cancellationToken).ConfigureAwait(false);
        }
        await multipart.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>"1,2,3" (commas, optionally spaces or %2C already decoded) into 1-based frame numbers; null when malformed.</summary>
    public static IReadOnlyList<int>? ParseFrameList(string text)
    {
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                return null;
            }

            list.Add(n);
        }
        return list.Count == 0 ? null : list;
    }

    private static int? FirstRepeated(IReadOnlyList<int> numbers)
    {
        var seen = new HashSet<int>();
        foreach (var n in numbers)
        {
            if (!seen.Add(n))
            {
                return n;
            }
        }

        return null;
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "...";

    private static long FrameLength(PixelDataLayout layout, IReadOnlyList<int[]>? fragmentsOfFrames, int frame) =>
        fragmentsOfFrames is null ? layout.NativeFrame(frame)!.Value.Length : fragmentsOfFrames[frame].Sum(i => layout.Fragments[i].Length);

    private static async Task WriteFrameAsync(Stream output, PixelDataLayout layout, IReadOnlyList<int[]>? fragmentsOfFrames, int frame,
        Stream blob, CancellationToken cancellationToken)
    {
        if (fragmentsOfFrames is null)
        {
            await BlobCopy.CopyRangeAsync(blob, layout.NativeFrame(frame)!.Value, layout.SwapUnit, output, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var i in fragmentsOfFrames[frame])
        {
            await BlobCopy.CopyRangeAsync(blob, layout.Fragments[i], 1, output, cancellationToken).ConfigureAwait(false);
        }
    }
}
