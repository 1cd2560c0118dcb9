using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Pacs.Gateway.DicomWeb.Rendering;

internal enum RenderedFormat
{
    Jpeg,
    Png,
}

/// <summary>
/// Chooses the consumer format of a rendered resource (PS3.18 8.7.4, Table 8.7.4-1: image/jpeg default, image/png
/// also offered) from the "accept" query parameter (PS3.18 8.3.3.1, it overrides the header) or the Accept header.
/// Lenient: no Accept, */* and image/* pick JPEG; q-values are honoured; q=0 excludes.
/// </summary>
internal static class RenderedMediaType
{
    public const string Jpeg = "image/jpeg";
    public const string Png = "image/png";

    public static bool TryChoose(string? acceptQuery, IEnumerable<string?> acceptHeaders, out RenderedFormat format)
    {
        format = RenderedFormat.Jpeg;
        var values = new List<string>();
        if (!string.IsNullOrWhiteSpace(acceptQuery)) values.Add(acceptQuery);
        else values.AddRange(acceptHeaders.Where(h => !string.IsNullOrWhiteSpace(h))!);
        if (values.Count == 0) return true;

        var candidates = new List<(RenderedFormat Format, double Quality, int Specificity)>();
        foreach (var value in values)
        {
            foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!MediaTypeHeaderValue.TryParse(item, out var media)) continue;
                var quality = media.Quality ?? 1.0;
                if (quality <= 0) continue;
                var type = media.MediaType.ToString().ToLower(CultureInfo.InvariantCulture);
                switch (type)
                {
                    case Jpeg:
                        candidates.Add((RenderedFormat.Jpeg, quality, 2));
                        break;
                    case Png:
                        candidates.Add((RenderedFormat.Png, quality, 2));
                        break;
                    case "image/*":
                    case "*/*":
                        candidates.Add((RenderedFormat.Jpeg, quality, type == "*/*" ? 0 : 1));
                        break;
                }
            }
        }

        if (candidates.Count == 0) return false;
        format = candidates.OrderByDescending(c => c.Quality).ThenByDescending(c => c.Specificity).ThenBy(c => c.Format).First().Format;
        return true;
    }

    public static string ContentType(RenderedFormat format) => format == RenderedFormat.Png ? Png : Jpeg;
}
