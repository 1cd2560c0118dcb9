using Microsoft.Net.Http.Headers;

namespace Pacs.Gateway.DicomWeb;

/// <summary>What the request's Content-Type says about the STOW-RS payload (PS3.18 10.5.1.1).</summary>
internal enum StowPayload
{
    /// <summary>multipart/related with type application/dicom (or no type): each part a Part 10 instance.</summary>
    Multipart,
    /// <summary>A lone application/dicom body: accepted for clients that send one instance unwrapped.</summary>
    Single,
    /// <summary>A media type we do not store (415).</summary>
    Unsupported,
    /// <summary>multipart/related without a usable boundary (400).</summary>
    Malformed,
}

internal static class StowContentType
{
    public const string ApplicationDicom = "application/dicom";

    /// <summary>
    /// Parses the request's Content-Type leniently: type= quoted or not, any case, boundary quoted or not
    /// (RFC 2046 5.1.1, RFC 2387 3.1). Metadata-and-bulk-data STOW (type application/dicom+json or +xml) is not
    /// supported and answers 415.
    /// </summary>
    public static StowPayload Parse(string? contentType, out string boundary)
    {
        boundary = "";
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return StowPayload.Unsupported;
        }

        if (media.MediaType.Equals(ApplicationDicom, StringComparison.OrdinalIgnoreCase))
        {
            return StowPayload.Single;
        }

        if (!media.MediaType.Equals("multipart/related", StringComparison.OrdinalIgnoreCase))
        {
            return StowPayload.Unsupported;
        }

        foreach (var parameter in media.Parameters)
        {
            if (parameter.Name.Equals("type", StringComparison.OrdinalIgnoreCase)
                && !HeaderUtilities.RemoveQuotes(parameter.Value).Equals(ApplicationDicom, StringComparison.OrdinalIgnoreCase))
            {
                return StowPayload.Unsupported;
            }
        }

        // RFC 2046 5.1.1: 1 to 70 characters.
        var value = HeaderUtilities.RemoveQuotes(media.Boundary).ToString();
        if (value.Length is 0 or > 70)
        {
            return StowPayload.Malformed;
        }

        boundary = value;
        return StowPayload.Multipart;
    }

    /// <summary>
    /// A part is stored when it says application/dicom (parameters such as transfer-syntax ignored: the Part 10 meta
    /// header is authoritative) or says nothing, the default being the multipart's type (RFC 2387 3.1).
    /// </summary>
    public static bool IsDicomPart(string? partContentType) =>
        string.IsNullOrWhiteSpace(partContentType)
        || (MediaTypeHeaderValue.TryParse(partContentType, out var media) && media.MediaType.Equals(ApplicationDicom, StringComparison.OrdinalIgnoreCase));
}
