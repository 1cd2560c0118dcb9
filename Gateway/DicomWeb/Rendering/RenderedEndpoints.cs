using System.Globalization;
using Pacs.Dicom;
using Pacs.Dicom.Codecs;
using Pacs.Dicom.IO;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Storage;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>What a rendering request asks for beyond the instance: frame, window, viewport, quality, format.</summary>
internal sealed record RenderOptions(int Frame, VoiWindow? Window, int ViewportWidth, int ViewportHeight, int Quality, RenderedFormat Format, bool Thumbnail);

/// <summary>
/// Rendered resources (PS3.18 8.3.5, 10.4.1.1.3) and thumbnails (PS3.18 10.4.1.1.4): native monochrome and colour
/// frames windowed and scaled into JPEG or PNG by our own encoders; compressed frames decoded first
/// (<see cref="FrameDecoders"/>: JPEG, JPEG lossless, JPEG-LS, JPEG 2000, HTJ2K, RLE); encapsulated documents and
/// video returned as they are. What cannot be decoded answers 406, and its thumbnail is a representative icon, which
/// PS3.18 8.3.5.1 allows.
/// </summary>
internal static partial class RenderedEndpoints
{
    private const int ThumbnailSize = 128;
    private const int DefaultQuality = 90;

    // The routes are in DicomWebEndpoints: rendered instance and frame, thumbnails of instance, frame, series, study.
    public static Task<IResult> RenderedAsync(HttpContext http, string study, string series, string instance, RenderingServices s, CancellationToken ct) =>
        InstanceAsync(http, s, study, series, instance, null, thumbnail: false, ct);

    public static Task<IResult> RenderedFrameAsync(HttpContext http, string study, string series, string instance, string frame, RenderingServices s, CancellationToken ct) =>
        InstanceAsync(http, s, study, series, instance, frame, thumbnail: false, ct);

    public static Task<IResult> ThumbnailAsync(HttpContext http, string study, string series, string instance, RenderingServices s, CancellationToken ct) =>
        InstanceAsync(http, s, study, series, instance, null, thumbnail: true, ct);

    public static Task<IResult> FrameThumbnailAsync(HttpContext http, string study, string series, string instance, string frame, RenderingServices s, CancellationToken ct) =>
        InstanceAsync(http, s, study, series, instance, frame, thumbnail: true, ct);

    public static Task<IResult> SeriesThumbnailAsync(HttpContext http, string study, string series, RenderingServices s, CancellationToken ct) =>
        RepresentativeAsync(http, s, study, series, ct);

    public static Task<IResult> StudyThumbnailAsync(HttpContext http, string study, RenderingServices s, CancellationToken ct) =>
        RepresentativeAsync(http, s, study, null, ct);

    private static async Task<IResult> InstanceAsync(HttpContext http, RenderingServices services, string study, string series, string instance, string? frame,
        bool thumbnail, CancellationToken cancellationToken)
    {
        var found = await services.Instances.FindAsync(study, series, instance, cancellationToken).ConfigureAwait(false);
        try
        {
            return await RespondAsync(http, services, found, frame, thumbnail, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // The blob went after the look-up (InstanceLookup's copy of the series may be up to its lifetime old): the
            // instance was deleted or replaced meanwhile. The index decides: 404, or the new blob.
            found = await services.Instances.FindInIndexAsync(study, series, instance, cancellationToken).ConfigureAwait(false);
            try
            {
                return await RespondAsync(http, services, found, frame, thumbnail, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception again) when (again is FileNotFoundException or DirectoryNotFoundException)
            {
                throw DicomWebException.NotFound($"Instance {instance} not found.");
            }
        }
    }

    private static async Task<IResult> RepresentativeAsync(HttpContext http, RenderingServices services, string study, string? series, CancellationToken cancellationToken)
    {
        var found = await services.Index.GetRepresentativeAsync(study, series, cancellationToken).ConfigureAwait(false)
            ?? throw DicomWebException.NotFound(series is not null ? $"Series {series} not found." : $"Study {study} not found.");
        return await RespondAsync(http, services, found, null, thumbnail: true, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> RespondAsync(HttpContext http, RenderingServices services, IndexedInstance instance, string? frameText, bool thumbnail,
        CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        if (!RenderedMediaType.TryChoose(query["accept"], http.Request.Headers.Accept, out var format))
        {
            return Problem(StatusCodes.Status406NotAcceptable, "not acceptable", "Rendered resources are offered as image/jpeg and image/png.");
        }

        var frame = 1;
        if (frameText is not null && (!int.TryParse(frameText, NumberStyles.None, CultureInfo.InvariantCulture, out frame) || frame < 1))
        {
            return Problem(StatusCodes.Status400BadRequest, "bad frame number", "A rendered frame is one positive frame number.");
        }

        if (!TryParseWindow(query["window"], out var window) || !TryParseViewport(query["viewport"], out var vw, out var vh)
            || !TryParseQuality(query["quality"], out var quality))
        {
            return Problem(StatusCodes.Status400BadRequest, "bad rendering parameter",
                "window=center,width[,function], viewport=width,height and quality=1..100 (PS3.18 8.3.5.1).");
        }

        if (thumbnail && vw == 0 && vh == 0)
        {
            vw = vh = ThumbnailSize;
        }

        var options = new RenderOptions(frame, window, vw, vh, quality, format, thumbnail);
        return await RenderAsync(services, instance, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renders one instance; shared by DICOMweb and WADO-URI.</summary>
    internal static async Task<IResult> RenderAsync(RenderingServices services, IndexedInstance instance, RenderOptions options, CancellationToken cancellationToken)
    {
        // Drawn before by this gateway from the same blob with the same options (RenderedCache: a blob key never names
        // other bytes, so the image cannot be stale). The blob must still be there: the row may be InstanceLookup's
        // copy of the series, and a deleted instance's blob is gone once its delete has answered.
        if (services.Rendered.TryGet(instance.BlobKey, options, out var drawn)
            && await services.Blobs.ExistsAsync(instance.BlobKey, cancellationToken).ConfigureAwait(false))
        {
            return Results.Bytes(drawn.Bytes, drawn.ContentType);
        }

        var stored = await StoredPixels.OpenAsync(services, instance, cancellationToken).ConfigureAwait(false);
        var header = stored.Header;

        // Encapsulated documents (PS3.3 C.24.2): PDF, CDA, STL, ... returned in their own media type.
        if (header.TryGetElement(DicomTag.EncapsulatedDocument, out var document))
        {
            if (options.Thumbnail)
            {
                return Icon(options);
            }

            var mime = header.GetString(DicomTag.MIMETypeOfEncapsulatedDocument) is { Length: > 0 } m ? m : "application/pdf";
            // The value is padded to even length; Encapsulated Document Length (0042,0015) gives the document's own.
            var length = header.GetUInt32(DicomTag.EncapsulatedDocumentLength) is { } l and > 0 ? l : document.Length;
            return new StreamedResult(mime, (output, ct) => stored.CopyValueAsync(document, length, output, ct));
        }

        if (!stored.HasPixelData)
        {
            return options.Thumbnail ? Icon(options) : Problem(StatusCodes.Status406NotAcceptable, "not renderable", "The instance has no pixel data.");
        }

        if (stored.Syntax.IsEncapsulated)
        {
            if (VideoMediaType(stored.Syntax.Uid) is { } video)
            {
                // Video (PS3.5 8.2.5 ff.): the fragments are one MPEG stream.
                return options.Thumbnail ? Icon(options) : new StreamedResult(video, stored.CopyFragmentsAsync);
            }

            if (!options.Thumbnail && options.Format == RenderedFormat.Jpeg && IsPassThroughJpeg(stored, options))
            {
                // A baseline JPEG frame is already what the client asked for (PS3.5 8.2.1): served unchanged.
                return new StreamedResult(RenderedMediaType.Jpeg, stored.CopyFragmentsAsync);
            }

            if (FrameDecoders.Find(stored.Syntax) is null)
            {
                return options.Thumbnail ? Icon(options)
                    : Problem(StatusCodes.Status406NotAcceptable, "not renderable", $"Pixel data in {stored.Syntax.Name} cannot be rendered.");
            }
        }

        PixelDescription pixels;
        byte[] frameBytes;
        try
        {
            pixels = PixelDescription.FromDataset(header);
            if (options.Frame > pixels.NumberOfFrames)
            {
                return Problem(StatusCodes.Status404NotFound, "no such frame", $"The instance has {pixels.NumberOfFrames} frame(s).");
            }

            if (stored.Syntax.IsEncapsulated)
            {
                // Decoded first (JPEG, JPEG-LS, JPEG 2000, RLE): little endian, colour by pixel, in the decoded
                // photometric interpretation (PS3.5 8.2).
                frameBytes = await stored.DecodeFrameAsync(options.Frame, cancellationToken).ConfigureAwait(false);
                pixels = pixels with
                {
                    Photometric = FrameDecoders.DecodedPhotometric(stored.Syntax, pixels.Photometric),
                    PlanarConfiguration = 0,
                };
            }
            else
            {
                frameBytes = await stored.ReadNativeFrameAsync(pixels, options.Frame, cancellationToken).ConfigureAwait(false);
            }

            var (w, h) = ImageScaler.Fit(pixels.Columns, pixels.Rows, options.ViewportWidth, options.ViewportHeight);
            if (options.Thumbnail)
            {
                // A thumbnail never enlarges.
                (w, h) = w > pixels.Columns ? (pixels.Columns, pixels.Rows) : (w, h);
            }

            // Far smaller than the frame (a thumbnail of a large image): every n-th pixel is enough to average from.
            if (PixelSampling.TrySample(pixels, frameBytes, PixelSampling.Step(pixels.Columns, pixels.Rows, w, h), out var sampled, out var sampledBytes))
            {
                (pixels, frameBytes) = (sampled, sampledBytes);
            }

            var image = PixelRenderer.Render(pixels, frameBytes, options.Window, stored.Syntax.IsBigEndian && !stored.Syntax.IsEncapsulated);
            image = ImageScaler.Resize(image, w, h);
            var (bytes, contentType) = Encode(image, options);
            services.Rendered.Add(instance.BlobKey, options, bytes, contentType);
            return Results.Bytes(bytes, contentType);
        }
        catch (RenderingException e)
        {
            return options.Thumbnail ? Icon(options) : Problem(StatusCodes.Status406NotAcceptable, "not renderable", e.Message);
        }
        catch (DicomFormatException e)
        {
            // A compressed frame that does not decode (cut short, damaged, or not what the data set says it is).
            return options.Thumbnail ? Icon(options) : Problem(StatusCodes.Status406NotAcceptable, "not renderable", e.Message);
        }
        catch (CodecUnavailableException e)
        {
            return options.Thumbnail ? Icon(options) : Problem(StatusCodes.Status406NotAcceptable, "not renderable", e.Message);
        }
    }

    private static (byte[] Bytes, string ContentType) Encode(RenderedImage image, RenderOptions options) => options.Format == RenderedFormat.Png
        ? (PngEncoder.Encode(image), RenderedMediaType.Png)
        : (JpegEncoder.Encode(image, options.Quality), RenderedMediaType.Jpeg);

    private static IResult Encoded(RenderedImage image, RenderOptions options)
    {
        var (bytes, contentType) = Encode(image, options);
        return Results.Bytes(bytes, contentType);
    }

    /// <summary>The representative icon of a thumbnail for what cannot be drawn: a page outline on grey.</summary>
    private static IResult Icon(RenderOptions options)
    {
        var size = Math.Max(16, Math.Min(options.ViewportWidth > 0 ? options.ViewportWidth : ThumbnailSize, options.ViewportHeight > 0 ? options.ViewportHeight : ThumbnailSize));
        var pixels = new byte[size * size];
        Array.Fill(pixels, (byte)0x30);
        int left = size / 4, right = size * 3 / 4, top = size / 6, bottom = size * 5 / 6;
        for (var y = top; y <= bottom; y++)
        {
            for (var x = left; x <= right; x++)
            {
                var edge = y == top || y == bottom || x == left || x == right;
                var line = y > top + size / 8 && (y - top) % Math.Max(3, size / 12) == 0 && x > left + size / 16 && x < right - size / 16;
                if (edge || line)
                {
                    pixels[y * size + x] = 0xC0;
                }
            }
        }

        return Encoded(new RenderedImage(size, size, 1, pixels), options);
    }

    private static bool IsPassThroughJpeg(StoredPixels stored, RenderOptions options) =>
        stored.Syntax.Uid == DicomTransferSyntax.JPEGBaseline8Bit.Uid
        && (stored.Header.GetInt32(DicomTag.NumberOfFrames) ?? 1) == 1
        && options.Window is null && options.ViewportWidth == 0 && options.ViewportHeight == 0;

    internal static string? VideoMediaType(string transferSyntaxUid) => transferSyntaxUid switch
    {
        "1.2.840.10008.1.2.4.100" or "1.2.840.10008.1.2.4.100.1" or "1.2.840.10008.1.2.4.101" or "1.2.840.10008.1.2.4.101.1" => "video/mpeg",
        _ when transferSyntaxUid.StartsWith("1.2.840.10008.1.2.4.10", StringComparison.Ordinal) => "video/mp4", // MPEG-4 AVC and HEVC (.102 to .108)
        _ => null,
    };

    internal static bool TryParseWindow(string? text, out VoiWindow? window)
    {
        window = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        // PS3.18 8.3.5.1.4: center, width, and a VOI LUT function (linear, linear-exact, sigmoid); linear is applied.
        if (parts.Length is < 2 or > 3 || !PixelDescription.TryParse(parts[0], out var c) || !PixelDescription.TryParse(parts[1], out var w) || w < 1)
        {
            return false;
        }

        window = new VoiWindow(c, w);
        return true;
    }

    internal static bool TryParseViewport(string? text, out int width, out int height)
    {
        width = height = 0;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        // PS3.18 8.3.5.1.3: vw,vh then an optional source region (sx,sy,sw,sh), which is not applied.
        if (parts.Length < 2)
        {
            return false;
        }

        return TryDimension(parts[0], out width) && TryDimension(parts[1], out height) && (width > 0 || height > 0);
    }

    internal static bool TryDimension(string s, out int value)
    {
        value = 0;
        if (s.Length == 0)
        {
            return true;
        }

        return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value is > 0 and <= 8192;
    }

    internal static bool TryParseQuality(string? text, out int quality)
    {
        quality = DefaultQuality;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out quality) && quality is >= 1 and <= 100;
    }

    internal static IResult Problem(int status, string title, string detail) => Results.Problem(title: title, detail: detail, statusCode: status);

    /// <summary>A body copied from the blob store as it is read, never buffered whole.</summary>
    internal sealed class StreamedResult(string contentType, Func<Stream, CancellationToken, Task> copy) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            httpContext.Response.ContentType = contentType;
            await copy(httpContext.Response.Body, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}

/// <summary>What the rendering endpoints need, resolved once.</summary>
internal sealed class RenderingServices(IndexReader index, IBlobStore blobs, PixelDataLocator locator, RenderedCache rendered, InstanceLookup instances)
{
    public IndexReader Index => index;
    public IBlobStore Blobs => blobs;
    public PixelDataLocator Locator => locator;
    public RenderedCache Rendered => rendered;
    public InstanceLookup Instances => instances;
}

/// <summary>
/// A stored instance opened for rendering: its header and where its Pixel Data lies (<see cref="PixelDataLocator"/>),
/// so that one frame is read by range. Deflated data sets, of which no range can be read (PS3.5 A.5), are read whole
/// and keep their Pixel Data in memory.
/// </summary>
internal sealed record StoredPixels(IBlobStore Blobs, string BlobKey, DicomTransferSyntax Syntax, DicomDataset Header, PixelDataLayout? Layout)
{
    public bool HasPixelData => Layout is not null || Header.Contains(DicomTag.PixelData);

    public static async Task<StoredPixels> OpenAsync(RenderingServices services, IndexedInstance instance, CancellationToken cancellationToken)
    {
        var syntax = DicomTransferSyntax.Resolve(instance.TransferSyntaxUid);
        if (syntax.IsDeflated)
        {
            var bytes = await BlobCopy.ReadAllAsync(services.Blobs, instance.BlobKey, cancellationToken).ConfigureAwait(false);
            return new StoredPixels(services.Blobs, instance.BlobKey, syntax, DicomReader.ReadDataset(bytes, syntax).Dataset, null);
        }

        var (header, layout) = await services.Locator.ReadAsync(instance.BlobKey, syntax, cancellationToken).ConfigureAwait(false);
        return new StoredPixels(services.Blobs, instance.BlobKey, syntax, header, layout);
    }

    /// <summary>One native frame's bytes (1-based), as stored: by range, or from memory when deflated.</summary>
    public async Task<byte[]> ReadNativeFrameAsync(PixelDescription pixels, int frame, CancellationToken cancellationToken)
    {
        var length = pixels.FrameLength;
        var start = (frame - 1) * length;
        if (Layout is null)
        {
            var value = Header.TryGetElement(DicomTag.PixelData, out var e) ? e.Value : default;
            if (start + length > value.Length)
            {
                throw new RenderingException("Pixel Data shorter than its frames");
            }

            return value.Slice((int)start, (int)length).ToArray();
        }

        if (start + length > Layout.Value.Length)
        {
            throw new RenderingException("Pixel Data shorter than its frames");
        }

        return await BlobCopy.ReadRangeAsync(Blobs, BlobKey, new BlobRange(Layout.Value.Offset + start, length), 1, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One compressed frame (1-based) decoded to native pixels; what cannot be decoded is a <see cref="RenderingException"/> or <see cref="DicomFormatException"/>.</summary>
    public async Task<byte[]> DecodeFrameAsync(int frame, CancellationToken cancellationToken)
    {
        var decoder = FrameDecoders.Find(Syntax) ?? throw new RenderingException($"Pixel data in {Syntax.Name} cannot be decoded");
        var geometry = FrameGeometry.FromDataset(Header) ?? throw new RenderingException("Image Pixel module incomplete");
        if (Layout is not { Encapsulated: true } layout)
        {
            throw new RenderingException("Encapsulated Pixel Data not found");
        }

        var groups = await EncapsulatedFrames.GroupsAsync(Blobs, BlobKey, layout, cancellationToken).ConfigureAwait(false)
            ?? throw new RenderingException($"The fragments cannot be assigned to frames ({layout.Fragments.Count} fragments for {layout.NumberOfFrames} frames)");
        if (frame > groups.Count)
        {
            throw new RenderingException($"Frame {frame} not found");
        }

        return await EncapsulatedFrames.DecodeAsync(Blobs, BlobKey, layout, groups, frame - 1, decoder, geometry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The fragments of encapsulated Pixel Data, Basic Offset Table excluded: video, and single-frame JPEG.</summary>
    public Task CopyFragmentsAsync(Stream output, CancellationToken cancellationToken) =>
        BlobCopy.CopyFragmentsAsync(Blobs, BlobKey, Layout?.Fragments ?? [], output, cancellationToken);

    /// <summary>A value the header read left in the blob (an Encapsulated Document), or one in memory; at most <paramref name="length"/> bytes.</summary>
    public async Task CopyValueAsync(DicomElement element, long length, Stream output, CancellationToken cancellationToken)
    {
        if (element.Bulk is { } bulk)
        {
            await BlobCopy.CopyRangeAsync(Blobs, BlobKey, new BlobRange(bulk.Offset, Math.Min(length, bulk.Length)), 1, output, cancellationToken).ConfigureAwait(false);
            return;
        }

        await output.WriteAsync(element.Value[..(int)Math.Min(length, element.Value.Length)], cancellationToken).ConfigureAwait(false);
    }
}
