using System.Globalization;
using Pacs.Dicom;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Storage;

namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>What a rendering request asks for beyond the instance: frame, window, viewport, quality, format.</summary>
internal sealed record RenderOptions(int Frame, VoiWindow? Window, int ViewportWidth, int ViewportHeight, int Quality, RenderedFormat Format, bool Thumbnail);

/// <summary>
/// Rendered resources (PS3.18 8.3.5, 10.4.1.1.3) and thumbnails (PS3.18 10.4.1.1.4): native monochrome and colour
/// frames windowed and scaled into JPEG or PNG by our own encoders; encapsulated documents and video returned as
/// they are; compressed images answer 406 until codecs exist (their thumbnail is a representative icon, which
/// PS3.18 8.3.5.1 allows).
/// </summary>
internal static partial class RenderedEndpoints
{
    private const int ThumbnailSize = 128;
    private const int DefaultQuality = 90;

    public static IEndpointRouteBuilder MapRendered(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/dicom-web/studies/{study}").RequireAuthorization(Policies.Read);
        group.MapGet("/series/{series}/instances/{instance}/rendered", (HttpContext http, string study, string series, string instance, RenderingServices s, CancellationToken ct) =>
            InstanceAsync(http, s, study, series, instance, null, thumbnail: false, ct));
        group.MapGet("/series/{series}/instances/{instance}/frames/{frame}/rendered", (HttpContext http, string study, string series, string instance, string frame, RenderingServices s, CancellationToken ct) =>
            InstanceAsync(http, s, study, series, instance, frame, thumbnail: false, ct));
        group.MapGet("/series/{series}/instances/{instance}/thumbnail", (HttpContext http, string study, string series, string instance, RenderingServices s, CancellationToken ct) =>
            InstanceAsync(http, s, study, series, instance, null, thumbnail: true, ct));
        group.MapGet("/series/{series}/instances/{instance}/frames/{frame}/thumbnail", (HttpContext http, string study, string series, string instance, string frame, RenderingServices s, CancellationToken ct) =>
            InstanceAsync(http, s, study, series, instance, frame, thumbnail: true, ct));
        group.MapGet("/series/{series}/thumbnail", async (HttpContext http, string study, string series, RenderingServices s, CancellationToken ct) =>
            await RespondAsync(http, s, await s.Locator.FindSeriesRepresentativeAsync(study, series, ct).ConfigureAwait(false), null, thumbnail: true, ct).ConfigureAwait(false));
        group.MapGet("/thumbnail", async (HttpContext http, string study, RenderingServices s, CancellationToken ct) =>
            await RespondAsync(http, s, await s.Locator.FindStudyRepresentativeAsync(study, ct).ConfigureAwait(false), null, thumbnail: true, ct).ConfigureAwait(false));
        return app;
    }

    private static async Task<IResult> InstanceAsync(HttpContext http, RenderingServices services, string study, string series, string instance, string? frame,
        bool thumbnail, CancellationToken cancellationToken)
    {
        var located = await services.Locator.FindInstanceAsync(study, series, instance, cancellationToken).ConfigureAwait(false);
        return await RespondAsync(http, services, located, frame, thumbnail, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> RespondAsync(HttpContext http, RenderingServices services, LocatedInstance? located, string? frameText, bool thumbnail,
        CancellationToken cancellationToken)
    {
        if (located is null)
        {
            return Problem(StatusCodes.Status404NotFound, "not found", "No such instance in the archive.");
        }

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
        return await RenderAsync(services.Blobs, located, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renders one located instance; shared by DICOMweb and WADO-URI.</summary>
    internal static async Task<IResult> RenderAsync(IBlobStore blobs, LocatedInstance located, RenderOptions options, CancellationToken cancellationToken)
    {
        var stored = await StoredInstance.OpenAsync(blobs, located, cancellationToken).ConfigureAwait(false);
        var header = stored.Header;

        // Encapsulated documents (PS3.3 C.24.2): PDF, CDA, STL, ... returned in their own media type.
        if (header.TryGetElement(DicomTag.EncapsulatedDocument, out var document))
        {
            if (options.Thumbnail) return Icon(options);
            var mime = header.GetString(DicomTag.MIMETypeOfEncapsulatedDocument) is { Length: > 0 } m ? m : "application/pdf";
            // The value is padded to even length; Encapsulated Document Length (0042,0015) gives the document's own.
            var length = header.GetUInt32(DicomTag.EncapsulatedDocumentLength) is { } l and > 0 ? l : document.Length;
            return new StreamedResult(mime, (output, ct) => stored.CopyValueAsync(document, length, output, ct));
        }

        if (!stored.HasPixelData)
        {
            return options.Thumbnail ? Icon(options) : Problem(StatusCodes.Status406NotAcceptable, "not renderable", "The instance has no pixel data.");
        }

        if (stored.TransferSyntax.IsEncapsulated)
        {
            if (VideoMediaType(stored.TransferSyntax.Uid) is { } video)
            {
                // Video (PS3.5 8.2.5 ff.): the fragments are one MPEG stream.
                return options.Thumbnail ? Icon(options) : new StreamedResult(video, stored.CopyFragmentsAsync);
            }

            if (!options.Thumbnail && options.Format == RenderedFormat.Jpeg && IsPassThroughJpeg(stored, options))
            {
                // A baseline JPEG frame is already what the client asked for (PS3.5 8.2.1): served unchanged.
                return new StreamedResult(RenderedMediaType.Jpeg, stored.CopyFragmentsAsync);
            }

            return options.Thumbnail ? Icon(options)
                : Problem(StatusCodes.Status406NotAcceptable, "not renderable", $"Pixel data in {stored.TransferSyntax.Name} cannot be rendered yet.");
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

            frameBytes = await stored.ReadNativeFrameAsync(pixels, options.Frame, cancellationToken).ConfigureAwait(false);
            var image = PixelRenderer.Render(pixels, frameBytes, options.Window, stored.TransferSyntax.IsBigEndian);
            var (w, h) = ImageScaler.Fit(image.Width, image.Height, options.ViewportWidth, options.ViewportHeight);
            if (options.Thumbnail)
            {
                // A thumbnail never enlarges.
                (w, h) = w > image.Width ? (image.Width, image.Height) : (w, h);
            }

            image = ImageScaler.Resize(image, w, h);
            return Encoded(image, options);
        }
        catch (RenderingException e)
        {
            return options.Thumbnail ? Icon(options) : Problem(StatusCodes.Status406NotAcceptable, "not renderable", e.Message);
        }
    }

    private static IResult Encoded(RenderedImage image, RenderOptions options) => options.Format == RenderedFormat.Png
        ? Results.Bytes(PngEncoder.Encode(image), RenderedMediaType.Png)
        : Results.Bytes(JpegEncoder.Encode(image, options.Quality), RenderedMediaType.Jpeg);

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
                if (edge || line) pixels[y * size + x] = 0xC0;
            }
        }

        return Encoded(new RenderedImage(size, size, 1, pixels), options);
    }

    private static bool IsPassThroughJpeg(StoredInstance stored, RenderOptions options) =>
        stored.TransferSyntax.Uid == DicomTransferSyntax.JPEGBaseline8Bit.Uid
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
        if (string.IsNullOrEmpty(text)) return true;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        // PS3.18 8.3.5.1.4: center, width, and a VOI LUT function (linear, linear-exact, sigmoid); linear is applied.
        if (parts.Length is < 2 or > 3 || !PixelDescription.TryParse(parts[0], out var c) || !PixelDescription.TryParse(parts[1], out var w) || w < 1) return false;
        window = new VoiWindow(c, w);
        return true;
    }

    internal static bool TryParseViewport(string? text, out int width, out int height)
    {
        width = height = 0;
        if (string.IsNullOrEmpty(text)) return true;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        // PS3.18 8.3.5.1.3: vw,vh then an optional source region (sx,sy,sw,sh), which is not applied.
        if (parts.Length < 2) return false;
        return TryDimension(parts[0], out width) && TryDimension(parts[1], out height) && (width > 0 || height > 0);
    }

    internal static bool TryDimension(string s, out int value)
    {
        value = 0;
        if (s.Length == 0) return true;
        return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value is > 0 and <= 8192;
    }

    internal static bool TryParseQuality(string? text, out int quality)
    {
        quality = DefaultQuality;
        if (string.IsNullOrEmpty(text)) return true;
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
internal sealed class RenderingServices(InstanceLocator locator, IBlobStore blobs)
{
    public InstanceLocator Locator => locator;
    public IBlobStore Blobs => blobs;
}
