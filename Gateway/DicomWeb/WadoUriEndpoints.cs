using System.Globalization;
using Pacs.Dicom;
using Pacs.Gateway.Auth;
using Pacs.Gateway.DicomWeb.Rendering;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// WADO-URI (PS3.18 9): GET /wado?requestType=WADO&amp;studyUID=&amp;seriesUID=&amp;objectUID=[&amp;contentType=]. application/dicom is
/// the instance as WADO-RS retrieve sends it (<see cref="RetrieveResource.WritePart10Async"/>: the stored data set
/// streamed behind a File Meta Information built on the fly, or converted); image/jpeg and image/png are rendered like
/// DICOMweb's /rendered. Errors of the index are problem details from <see cref="DicomWebProblemFilter"/>.
/// </summary>
internal static class WadoUriEndpoints
{
    private const string ApplicationDicom = "application/dicom";

    /// <summary>GET /wado (mapped in DicomWebEndpoints).</summary>
    public static async Task<IResult> GetAsync(HttpContext http, RenderingServices services, CancellationToken cancellationToken)
    {
        var q = http.Request.Query;
        if (!string.Equals(q["requestType"], "WADO", StringComparison.OrdinalIgnoreCase))
        {
            return RenderedEndpoints.Problem(StatusCodes.Status400BadRequest, "bad WADO-URI request", "requestType=WADO is required (PS3.18 9.1.2.1.1).");
        }

        // PS3.18 9.1.2.1.9: region selects a rectangle of the image; it is not implemented, and ignoring it would
        // answer a different image than the one asked for.
        if (q.ContainsKey("region"))
        {
            return RenderedEndpoints.Problem(StatusCodes.Status400BadRequest, "bad WADO-URI request",
                "The region parameter (PS3.18 9.1.2.1.9) is not supported by this server; ask without it for the whole image.");
        }

        string study = q["studyUID"].ToString(), series = q["seriesUID"].ToString(), sop = q["objectUID"].ToString();
        if (study.Length == 0 || series.Length == 0 || sop.Length == 0)
        {
            return RenderedEndpoints.Problem(StatusCodes.Status400BadRequest, "bad WADO-URI request", "studyUID, seriesUID and objectUID are required (PS3.18 9.1.2.1).");
        }

        var located = (await DicomWebUris.InstancesAsync(services.Index, study, series, sop, cancellationToken).ConfigureAwait(false))[0];

        // contentType may list several media types in order of preference (PS3.18 9.1.2.1.5).
        var wanted = ContentTypes(q["contentType"]);
        foreach (var type in wanted)
        {
            switch (type)
            {
                case ApplicationDicom:
                    return Dicom(services, located, q["transferSyntax"]);
                case RenderedMediaType.Jpeg or RenderedMediaType.Png or "image/*" or "*/*":
                    return await ImageAsync(services, located, type == RenderedMediaType.Png ? RenderedFormat.Png : RenderedFormat.Jpeg, http, cancellationToken)
                        .ConfigureAwait(false);
            }
        }

        if (wanted.Count > 0)
        {
            return RenderedEndpoints.Problem(StatusCodes.Status406NotAcceptable, "not acceptable", "contentType may be application/dicom, image/jpeg or image/png.");
        }

        // PS3.18 9.1.2.1.5: image/jpeg by default for images; other objects only exist as application/dicom.
        return await IsImageAsync(services, located, cancellationToken).ConfigureAwait(false)
            ? await ImageAsync(services, located, RenderedFormat.Jpeg, http, cancellationToken).ConfigureAwait(false)
            : Dicom(services, located, q["transferSyntax"]);
    }

    private static List<string> ContentTypes(string? text) => AcceptHeader.Parse([text]).Select(r => r.MediaType).ToList();

    private static async Task<bool> IsImageAsync(RenderingServices services, IndexedInstance instance, CancellationToken cancellationToken)
    {
        var stored = await StoredPixels.OpenAsync(services, instance, cancellationToken).ConfigureAwait(false);
        return stored.HasPixelData && stored.Header.Contains(DicomTag.Rows);
    }

    private static Task<IResult> ImageAsync(RenderingServices services, IndexedInstance located, RenderedFormat format, HttpContext http, CancellationToken cancellationToken)
    {
        var q = http.Request.Query;
        var frame = 1;
        VoiWindow? window = null;
        int rows = 0, columns = 0, quality = 90;
        var ok = (string.IsNullOrEmpty(q["frameNumber"]) || (int.TryParse(q["frameNumber"], NumberStyles.None, CultureInfo.InvariantCulture, out frame) && frame >= 1))
            && RenderedEndpoints.TryDimension(q["rows"].ToString(), out rows)
            && RenderedEndpoints.TryDimension(q["columns"].ToString(), out columns)
            && (string.IsNullOrEmpty(q["imageQuality"]) || RenderedEndpoints.TryParseQuality(q["imageQuality"], out quality));
        if (ok && (!string.IsNullOrEmpty(q["windowCenter"]) || !string.IsNullOrEmpty(q["windowWidth"])))
        {
            // PS3.18 9.1.2.1.11: both or neither.
            ok = RenderedEndpoints.TryParseWindow($"{q["windowCenter"]},{q["windowWidth"]}", out window);
        }

        if (!ok)
        {
            return Task.FromResult(RenderedEndpoints.Problem(StatusCodes.Status400BadRequest, "bad WADO-URI parameter",
                "frameNumber, rows, columns, windowCenter/windowWidth or imageQuality is not valid (PS3.18 9.1.2.1)."));
        }

        return RenderedEndpoints.RenderAsync(services, located, new RenderOptions(frame, window, columns, rows, quality, format, Thumbnail: false), cancellationToken);
    }

    /// <summary>
    /// Part 10 (PS3.10 7.1), written as WADO-RS writes it. The stored syntax is served as it is, streamed; PS3.18
    /// 9.1.2.1.8 makes Explicit VR Little Endian the default, so a native object stored otherwise is converted, as is
    /// any native-to-native request; a compressed object is served compressed unless another syntax is named: Explicit
    /// or Implicit VR Little Endian are decoded (<see cref="Pacs.Dicom.Codecs.FrameDecoders"/>), any other is 406.
    /// </summary>
    private static IResult Dicom(RenderingServices services, IndexedInstance located, string? transferSyntax)
    {
        var stored = DicomTransferSyntax.Resolve(located.TransferSyntaxUid);
        DicomTransferSyntax target;
        if (string.IsNullOrWhiteSpace(transferSyntax))
        {
            target = stored.IsEncapsulated ? stored : DicomTransferSyntax.ExplicitVRLittleEndian;
        }
        else if (DicomTransferSyntax.Find(transferSyntax.Trim()) is { } named)
        {
            target = named;
        }
        else
        {
            return RenderedEndpoints.Problem(StatusCodes.Status406NotAcceptable, "not acceptable", $"Unknown transfer syntax {transferSyntax}.");
        }

        var decodable = stored.IsEncapsulated && RetrieveResource.DecodedOffers(stored).Any(o => o.TransferSyntaxUid == target.Uid);
        if (target.Uid != stored.Uid && (stored.IsEncapsulated || target.IsEncapsulated) && !decodable)
        {
            return RenderedEndpoints.Problem(StatusCodes.Status406NotAcceptable, "not acceptable",
                $"The instance is stored in {stored.Name} and cannot be converted to {target.Name}.");
        }

        return new RenderedEndpoints.StreamedResult(ApplicationDicom,
            (output, ct) => RetrieveResource.WritePart10Async(output, located, stored, target, services.Blobs, services.Locator, ct));
    }
}
