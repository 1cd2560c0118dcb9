using System.Buffers;
using System.Globalization;
using Microsoft.Net.Http.Headers;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Gateway.Auth;
using Pacs.Gateway.DicomWeb.Rendering;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// WADO-URI (PS3.18 9): GET /wado?requestType=WADO&amp;studyUID=&amp;seriesUID=&amp;objectUID=[&amp;contentType=]. application/dicom is
/// the stored data set behind a File Meta Information built on the fly (streamed from the blob when no conversion
/// is needed); image/jpeg and image/png are rendered like DICOMweb's /rendered.
/// </summary>
internal static class WadoUriEndpoints
{
    private const string ApplicationDicom = "application/dicom";

    public static IEndpointRouteBuilder MapWadoUri(IEndpointRouteBuilder app)
    {
        app.MapGet("/wado", GetAsync).RequireAuthorization(Policies.Read);
        return app;
    }

    private static async Task<IResult> GetAsync(HttpContext http, RenderingServices services, CancellationToken cancellationToken)
    {
        var q = http.Request.Query;
        if (!string.Equals(q["requestType"], "WADO", StringComparison.OrdinalIgnoreCase))
        {
            return RenderedEndpoints.Problem(StatusCodes.Status400BadRequest, "bad WADO-URI request", "requestType=WADO is required (PS3.18 9.1.2.1.1).");
        }

        string study = q["studyUID"].ToString(), series = q["seriesUID"].ToString(), sop = q["objectUID"].ToString();
        if (study.Length == 0 || series.Length == 0 || sop.Length == 0)
        {
            return RenderedEndpoints.Problem(StatusCodes.Status400BadRequest, "bad WADO-URI request", "studyUID, seriesUID and objectUID are required (PS3.18 9.1.2.1).");
        }

        var located = await services.Locator.FindInstanceAsync(study, series, sop, cancellationToken).ConfigureAwait(false);
        if (located is null)
        {
            return RenderedEndpoints.Problem(StatusCodes.Status404NotFound, "not found", "No such instance in the archive.");
        }

        // contentType may list several media types in order of preference (PS3.18 9.1.2.1.5).
        var wanted = ContentTypes(q["contentType"]);
        foreach (var type in wanted)
        {
            switch (type)
            {
                case ApplicationDicom:
                    return await DicomAsync(services, located, q["transferSyntax"], cancellationToken).ConfigureAwait(false);
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
        return located.NumberOfFrames is null && !await HasRowsAsync(services, located, cancellationToken).ConfigureAwait(false)
            ? await DicomAsync(services, located, q["transferSyntax"], cancellationToken).ConfigureAwait(false)
            : await ImageAsync(services, located, RenderedFormat.Jpeg, http, cancellationToken).ConfigureAwait(false);
    }

    private static List<string> ContentTypes(string? text)
    {
        var list = new List<string>();
        if (string.IsNullOrWhiteSpace(text)) return list;
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (MediaTypeHeaderValue.TryParse(item, out var media)) list.Add(media.MediaType.ToString().ToLower(CultureInfo.InvariantCulture));
        }

        return list;
    }

    private static async Task<bool> HasRowsAsync(RenderingServices services, LocatedInstance located, CancellationToken cancellationToken)
    {
        var stored = await StoredInstance.OpenAsync(services.Blobs, located, cancellationToken).ConfigureAwait(false);
        return stored.HasPixelData && stored.Header.Contains(DicomTag.Rows);
    }

    private static Task<IResult> ImageAsync(RenderingServices services, LocatedInstance located, RenderedFormat format, HttpContext http, CancellationToken cancellationToken)
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

        return RenderedEndpoints.RenderAsync(services.Blobs, located, new RenderOptions(frame, window, columns, rows, quality, format, Thumbnail: false), cancellationToken);
    }

    /// <summary>
    /// Part 10 (PS3.10 7.1). The stored syntax is served as it is, streamed; PS3.18 9.1.2.1.8 makes Explicit VR Little
    /// Endian the default, so a native object stored otherwise is converted, as is any native-to-native request;
    /// a compressed object is served compressed unless another syntax is named (then 406: no codecs yet).
    /// </summary>
    private static async Task<IResult> DicomAsync(RenderingServices services, LocatedInstance located, string? transferSyntax, CancellationToken cancellationToken)
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

        var instance = await StoredInstance.OpenAsync(services.Blobs, located, cancellationToken).ConfigureAwait(false);
        if (target.Uid == stored.Uid)
        {
            var prefix = Part10Prefix(located, stored);
            return new RenderedEndpoints.StreamedResult(ApplicationDicom, async (output, ct) =>
            {
                await output.WriteAsync(prefix, ct).ConfigureAwait(false);
                await using var data = await instance.OpenDatasetAsync(ct).ConfigureAwait(false);
                await data.CopyToAsync(output, 64 * 1024, ct).ConfigureAwait(false);
            });
        }

        if (stored.IsEncapsulated || target.IsEncapsulated)
        {
            return RenderedEndpoints.Problem(StatusCodes.Status406NotAcceptable, "not acceptable",
                $"The instance is stored in {stored.Name} and cannot be converted to {target.Name}.");
        }

        // Native to native: the whole data set is read and rewritten (values are little-endian in memory).
        byte[] bytes;
        await using (var data = await instance.OpenDatasetAsync(cancellationToken).ConfigureAwait(false))
        using (var copy = new MemoryStream())
        {
            await data.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            var dataset = DicomReader.ReadDataset(copy.GetBuffer().AsMemory(0, (int)copy.Length), stored).Dataset;
            bytes = DicomWriter.ToFileBytes(DicomFile.Create(dataset, target));
        }

        return Results.Bytes(bytes, ApplicationDicom);
    }

    /// <summary>Preamble, "DICM" and the File Meta Information group for the stored data set.</summary>
    internal static byte[] Part10Prefix(LocatedInstance located, DicomTransferSyntax syntax)
    {
        var identity = new DicomDataset();
        identity.SetString(DicomTag.SOPClassUID, DicomVR.UI, located.SopClassUid);
        identity.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, located.SopInstanceUid);
        var meta = DicomFile.Create(identity, syntax).FileMetaInformation;
        var output = new ArrayBufferWriter<byte>();
        output.Write(new byte[128]);
        output.Write("DICM"u8);
        // PS3.10 7.1: (0002,0000) holds the length of the rest of the group; the group is Explicit VR Little Endian.
        var length = DicomWriter.EncodedLength(meta, DicomTransferSyntax.ExplicitVRLittleEndian);
        meta.SetUInt32(DicomTag.FileMetaInformationGroupLength, DicomVR.UL, (uint)length);
        DicomWriter.WriteDataset(output, meta, DicomTransferSyntax.ExplicitVRLittleEndian);
        return output.WrittenSpan.ToArray();
    }
}
