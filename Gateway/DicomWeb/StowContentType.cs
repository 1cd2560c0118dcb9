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
    /// Parses the request's Content-Type leniently: type= quoted or not (clients send type=application/dicom although
    /// "/" needs quotes in RFC 2045), any case, boundary quoted or not (RFC 2046 5.1.1, RFC 2387 3.1).
    /// Metadata-and-bulk-data STOW (type application/dicom+json or +xml) is not supported and answers 415.
    /// </summary>
    public static StowPayload Parse(string? contentType, out string boundary)
    {
        boundary = "";
        if (!TryParse(contentType, out var mediaType, out var parameters))
        {
            return StowPayload.Unsupported;
        }

        if (mediaType == ApplicationDicom)
        {
            return StowPayload.Single;
        }

        if (mediaType != "multipart/related"
            || (parameters.TryGetValue("type", out var type) && !type.Equals(ApplicationDicom, StringComparison.OrdinalIgnoreCase)))
        {
            return StowPayload.Unsupported;
        }

        // RFC 2046 5.1.1: 1 to 70 characters.
        if (!parameters.TryGetValue("boundary", out var value) || value.Length is 0 or > 70)
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
        string.IsNullOrWhiteSpace(partContentType) || (TryParse(partContentType, out var mediaType, out _) && mediaType == ApplicationDicom);

    /// <summary>"type/subtype; name=value; name="quoted; value"": media type lower-cased, parameter names case-insensitive.</summary>
    internal static bool TryParse(string? text, out string mediaType, out Dictionary<string, string> parameters)
    {
        parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        mediaType = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var segments = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quoted = !quoted;
            }
            else if (text[i] == '\\' && quoted)
            {
                i++;
            }
            else if (text[i] == ';' && !quoted)
            {
                segments.Add(text[start..i]);
                start = i + 1;
            }
        }

        segments.Add(text[start..]);
        mediaType = segments[0].Trim().ToLowerInvariant();
        var slash = mediaType.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == mediaType.Length - 1 || mediaType.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var segment in segments.Skip(1))
        {
            var eq = segment.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var name = segment[..eq].Trim();
            var value = segment[(eq + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
            {
                value = value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            }

            parameters.TryAdd(name, value);
        }

        return true;
    }
}
