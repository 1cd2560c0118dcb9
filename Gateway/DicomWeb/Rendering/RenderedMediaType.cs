namespace Pacs.Gateway.DicomWeb.Rendering;

internal enum RenderedFormat
{
    Jpeg,
    Png,
}

/// <summary>
/// Chooses the consumer format of a rendered resource (PS3.18 8.7.4, Table 8.7.4-1: image/jpeg default, image/png
/// also offered) from the "accept" query parameter (PS3.18 8.3.3.1, it overrides the header) or the Accept header,
/// read by the one lenient <see cref="AcceptHeader"/> parser: no Accept, */* and image/* pick JPEG; q-values are
/// honoured; q=0 excludes.
/// </summary>
internal static class RenderedMediaType
{
    public const string Jpeg = "image/jpeg";
    public const string Png = "image/png";

    private static readonly Representation[] Offers = [new(Jpeg, null), new(Png, null)];

    public static bool TryChoose(string? acceptQuery, IEnumerable<string?> acceptHeaders, out RenderedFormat format)
    {
        format = RenderedFormat.Jpeg;
        var sent = string.IsNullOrWhiteSpace(acceptQuery) ? acceptHeaders.Where(h => !string.IsNullOrWhiteSpace(h)).ToList() : [acceptQuery];
        if (sent.Count == 0)
        {
            return true;
        }
        // A rendered resource is one image, never a multipart body.
        var ranges = AcceptHeader.Parse(sent).Where(r => !r.IsMultipart).ToList();
        // Ranges that all were refused (q=0) or multipart accept nothing offered here, not anything.
        if (ranges.Count == 0)
        {
            return false;
        }

        if (AcceptHeader.Negotiate(ranges, Offers, Jpeg, null, multipartByDefault: false) is not { } negotiated)
        {
            return false;
        }

        format = negotiated.Representation.MediaType == Png ? RenderedFormat.Png : RenderedFormat.Jpeg;
        return true;
    }
}
