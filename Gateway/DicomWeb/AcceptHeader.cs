using System.Globalization;

namespace Pacs.Gateway.DicomWeb;

/// <summary>One media range of an Accept header (RFC 9110 12.5.1) with the DICOMweb parameters (PS3.18 8.7.3).</summary>
public sealed record MediaRange(string MediaType, string? Type, string? TransferSyntax, double Quality)
{
    public bool IsMultipart => MediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase);
    public bool IsAny => MediaType is "*/*" or "*";
}

/// <summary>A representation the origin server can produce for one part: media type and transfer syntax (null: none).</summary>
public readonly record struct Representation(string MediaType, string? TransferSyntaxUid);

/// <summary>What was agreed: the representation and whether it goes in a multipart/related body.</summary>
public readonly record struct Negotiated(Representation Representation, bool Multipart);

/// <summary>
/// Reads Accept headers the way viewers send them, not only as PS3.18 spells them: quoted or unquoted
/// <c>type=</c> and <c>transfer-syntax=</c> (OHIF's omitQuotationForMultipartRequest), several headers or comma
/// lists, q-values, <c>*/*</c>, and no Accept at all.
/// </summary>
public static class AcceptHeader
{
    /// <summary>Media ranges by descending quality, request order kept among equals; q=0 ranges dropped.</summary>
    public static IReadOnlyList<MediaRange> Parse(IEnumerable<string?> headers)
    {
        var ranges = new List<(MediaRange Range, int Order)>();
        foreach (var header in headers)
        {
            if (string.IsNullOrWhiteSpace(header))
            {
                continue;
            }

            foreach (var item in SplitOutsideQuotes(header, ','))
            {
                var parts = SplitOutsideQuotes(item, ';');
                var mediaType = parts[0].Trim();
                if (mediaType.Length == 0)
                {
                    continue;
                }

                string? type = null, syntax = null;
                var q = 1.0;
                for (var i = 1; i < parts.Count; i++)
                {
                    var eq = parts[i].IndexOf('=', StringComparison.Ordinal);
                    if (eq < 0)
                    {
                        continue;
                    }

                    var name = parts[i][..eq].Trim().ToLowerInvariant();
                    var value = Unquote(parts[i][(eq + 1)..].Trim());
                    switch (name)
                    {
                        case "type":
                            type = value;
                            break;
                        case "transfer-syntax":
                            syntax = value;
                            break;
                        case "q":
                            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out q))
                            {
                                q = 1.0;
                            }

                            break;
                    }
                }
                if (q <= 0)
                {
                    continue;
                }

                ranges.Add((new MediaRange(mediaType.ToLowerInvariant(), type?.ToLowerInvariant(), syntax, q), ranges.Count));
            }
        }
        return ranges.OrderByDescending(r => r.Range.Quality).ThenBy(r => r.Order).Select(r => r.Range).ToList();
    }

    /// <summary>
    /// Picks the first offer the ranges accept. <paramref name="offers"/> are in the server's preference (the stored
    /// form first). <paramref name="defaultPartType"/> is the part type a multipart range without <c>type=</c> means;
    /// <paramref name="defaultSyntax"/> is the syntax a range without <c>transfer-syntax=</c> asks for (PS3.18
    /// 8.7.3.5.2: Explicit VR Little Endian for application/dicom), or null when any offered syntax will do.
    /// No Accept, or <c>*/*</c>, gets the first offer as <paramref name="multipartByDefault"/> says.
    /// Returns null when nothing acceptable can be produced (406).
    /// </summary>
    public static Negotiated? Negotiate(IReadOnlyList<MediaRange> ranges, IReadOnlyList<Representation> offers,
        string defaultPartType, string? defaultSyntax, bool multipartByDefault)
    {
        if (offers.Count == 0)
        {
            return null;
        }

        if (ranges.Count == 0)
        {
            return new Negotiated(offers[0], multipartByDefault);
        }

        foreach (var range in ranges)
        {
            if (range.IsAny)
            {
                return new Negotiated(offers[0], multipartByDefault);
            }

            string partType;
            bool multipart;
            if (range.IsMultipart)
            {
                if (!range.MediaType.Equals("multipart/related", StringComparison.Ordinal) && range.MediaType != "multipart/*")
                {
                    continue;
                }

                partType = range.Type ?? defaultPartType;
                multipart = true;
            }
            else
            {
                partType = range.MediaType;
                multipart = false;
            }
            if (Pick(partType, range.TransferSyntax, offers, defaultSyntax) is { } picked)
            {
                return new Negotiated(picked, multipart);
            }
        }
        return null;
    }

    private static Representation? Pick(string partType, string? syntax, IReadOnlyList<Representation> offers, string? defaultSyntax)
    {
        // transfer-syntax=* : whatever is stored, in its own media type (what OHIF asks for frames).
        if (syntax == "*")
        {
            return offers[0];
        }

        var anyType = partType is "*/*" or "*" || partType.EndsWith("/*", StringComparison.Ordinal);
        bool TypeMatches(Representation o) =>
            anyType ? partType is "*/*" or "*" || o.MediaType.StartsWith(partType[..^1], StringComparison.OrdinalIgnoreCase)
                : o.MediaType.Equals(partType, StringComparison.OrdinalIgnoreCase);
        if (syntax is not null)
        {
            foreach (var o in offers)
            {
                if (TypeMatches(o) && string.Equals(o.TransferSyntaxUid, syntax, StringComparison.Ordinal))
                {
                    return o;
                }
            }

            return null;
        }
        if (defaultSyntax is not null)
        {
            foreach (var o in offers)
            {
                if (TypeMatches(o) && string.Equals(o.TransferSyntaxUid, defaultSyntax, StringComparison.Ordinal))
                {
                    return o;
                }
            }
        }
        // No syntax named and the default cannot be produced: the stored form of that type (lenient; compressed
        // instances are sent as stored rather than refused).
        foreach (var o in offers)
        {
            if (TypeMatches(o))
            {
                return o;
            }
        }

        return null;
    }

    private static List<string> SplitOutsideQuotes(string s, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '"')
            {
                quoted = !quoted;
            }
            else if (s[i] == separator && !quoted)
            {
                parts.Add(s[start..i]);
                start = i + 1;
            }
        }
        parts.Add(s[start..]);
        return parts;
    }

    private static string Unquote(string s) => s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1] : s;
}
