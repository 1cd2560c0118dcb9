using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Pacs.Grains;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// WADO-RS metadata (PS3.18 10.4.1.1.2) of a study, series or instance: DICOM JSON from the index headers, never a
/// blob read. Every level is served from the series metadata the study grain keeps in memory
/// (<see cref="IStudyGrain.GetSeriesMetadataAsync"/>); this gateway keeps the rendered bytes of each series (BulkDataURI
/// base filled in, gzip made once) keyed by the grain's version, so a warm request is one small grain call that
/// answers "unchanged" and a copy of cached bytes. ETags are strong and derived from the content (the grain's
/// content hash and the base URL), byte-stable; If-None-Match answers 304.
/// </summary>
internal static class MetadataResource
{
    public static async Task<IResult> StudyMetadataAsync(string study, HttpContext http, IGrainFactory grains, SeriesMetadataCache cache, IndexReader index, CancellationToken cancellationToken)
    {
        var grain = grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study));
        var seriesUids = await cache.GetSeriesInstanceUidsAsync(grain, study, index, cancellationToken).ConfigureAwait(false);
        if (seriesUids.Count == 0)
        {
            throw DicomWebException.NotFound($"Study {study} not found.");
        }

        var baseUrl = DicomWebUris.BaseUrl(http.Request);
        var rendered = new List<RenderedSeries>(seriesUids.Count);
        foreach (var series in seriesUids)
        {
            if (await cache.GetAsync(grain, study, series, baseUrl).ConfigureAwait(false) is { } r)
            {
                rendered.Add(r);
            }
        }

        if (rendered.Count == 0)
        {
            throw DicomWebException.NotFound($"Study {study} not found.");
        }

        if (rendered.Count == 1)
        {
            return Serve(http, rendered[0].Json, rendered[0].ETag, rendered[0].GetGzip);
        }

        var etag = Hash(string.Join(",", rendered.Select(r => r.ETag)));
        return Serve(http, Concatenate(rendered), etag, null);
    }

    public static async Task<IResult> SeriesMetadataAsync(string study, string series, HttpContext http, IGrainFactory grains, SeriesMetadataCache cache, CancellationToken cancellationToken)
    {
        var timing = new MetadataTiming();
        var grain = grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study));
        var rendered = await cache.GetAsync(grain, study, series, DicomWebUris.BaseUrl(http.Request), timing).ConfigureAwait(false)
            ?? throw DicomWebException.NotFound($"Series {series} not found in study {study}.");
        return Serve(http, rendered.Json, rendered.ETag, rendered.GetGzip, timing);
    }

    public static async Task<IResult> InstanceMetadataAsync(string study, string series, string instance, HttpContext http, IGrainFactory grains, SeriesMetadataCache cache, CancellationToken cancellationToken)
    {
        var grain = grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study));
        var rendered = await cache.GetAsync(grain, study, series, DicomWebUris.BaseUrl(http.Request)).ConfigureAwait(false)
            ?? throw DicomWebException.NotFound($"Series {series} not found in study {study}.");
        var i = rendered.IndexOf(instance);
        if (i < 0)
        {
            throw DicomWebException.NotFound($"Instance {instance} not found in series {series}.");
        }

        var json = new byte[rendered.Lengths[i] + 2];
        json[0] = (byte)'[';
        rendered.Json.AsSpan(rendered.Offsets[i], rendered.Lengths[i]).CopyTo(json.AsSpan(1));
        json[^1] = (byte)']';
        return Serve(http, json, Hash(rendered.ETag + "/" + instance), null);
    }

    private static byte[] Concatenate(List<RenderedSeries> series)
    {
        var buffer = new ArrayBufferWriter<byte>(series.Sum(s => s.Json.Length));
        buffer.Write("["u8);
        var first = true;
        foreach (var s in series)
        {
            if (s.Json.Length <= 2)
            {
                continue;
            }

            if (!first)
            {
                buffer.Write(","u8);
            }

            buffer.Write(s.Json.AsSpan(1, s.Json.Length - 2));
            first = false;
        }
        buffer.Write("]"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>200 with the JSON (gzip when accepted), or 304 when the client holds this ETag.</summary>
    private static IResult Serve(HttpContext http, byte[] json, string etag, Func<byte[]>? gzip, MetadataTiming? timing = null)
    {
        var request = http.Request;
        var response = http.Response;
        var acceptsGzip = AcceptsGzip(request);
        // The gzip representation is a different byte sequence, so it has its own strong ETag (RFC 9110 8.8.3).
        var tag = acceptsGzip ? $"\"{etag}-gzip\"" : $"\"{etag}\"";
        response.Headers.ETag = tag;
        response.Headers.Vary = "Accept-Encoding";
        // Patient data: never kept in a browser or shared cache (issue 13); a client that keeps its own copy can still
        // revalidate it with the ETag.
        response.Headers.CacheControl = "no-store";
        if (request.Headers.IfNoneMatch.Count > 0)
        {
            foreach (var value in request.Headers.IfNoneMatch)
            {
                if (value is null)
                {
                    continue;
                }

                foreach (var candidate in value.Split(',', StringSplitOptions.TrimEntries))
                {
                    if (candidate == "*" || candidate == tag || candidate == "W/" + tag)
                    {
                        timing?.WriteTo(response);
                        return Results.StatusCode(StatusCodes.Status304NotModified);
                    }
                }
            }
        }
        var body = json;
        if (acceptsGzip)
        {
            response.Headers.ContentEncoding = "gzip";
            var started = Stopwatch.GetTimestamp();
            body = gzip is not null ? gzip() : SeriesMetadataCache.Gzip(json);
            if (timing is not null)
            {
                timing.Gzip = Stopwatch.GetElapsedTime(started);
            }
        }
        timing?.WriteTo(response);
        // One write of the cached bytes with a Content-Length; Kestrel copies them to the socket as they are.
        return Results.Bytes(body, PixelMediaTypes.DicomJson);
    }

    private static bool AcceptsGzip(HttpRequest request)
    {
        foreach (var value in request.Headers.AcceptEncoding)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var part in value.Split(','))
            {
                var p = part.Split(';', StringSplitOptions.TrimEntries);
                if (!p[0].Equals("gzip", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (p.Length > 1 && p[1].Replace(" ", "", StringComparison.Ordinal) is "q=0" or "q=0.0" or "q=0.00" or "q=0.000")
                {
                    return false;
                }

                return true;
            }
        }
        return false;
    }

    internal static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
}
