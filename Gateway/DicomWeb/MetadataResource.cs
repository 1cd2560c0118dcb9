using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Pacs.Grains;

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
    public static async Task<IResult> StudyMetadataAsync(string study, HttpContext http, IGrainFactory grains, SeriesMetadataCache cache, CancellationToken cancellationToken)
    {
        var grain = grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study));
        var seriesUids = await grain.GetSeriesInstanceUidsAsync().ConfigureAwait(false);
        if (seriesUids.Count == 0) throw DicomWebException.NotFound($"Study {study} not found.");
        var baseUrl = DicomWebUris.BaseUrl(http.Request);
        var rendered = new List<RenderedSeries>(seriesUids.Count);
        foreach (var series in seriesUids)
            if (await cache.GetAsync(grain, study, series, baseUrl).ConfigureAwait(false) is { } r) rendered.Add(r);
        if (rendered.Count == 0) throw DicomWebException.NotFound($"Study {study} not found.");
        if (rendered.Count == 1) return Serve(http, rendered[0].Json, rendered[0].ETag, rendered[0].GetGzip);

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
        if (i < 0) throw DicomWebException.NotFound($"Instance {instance} not found in series {series}.");
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
            if (s.Json.Length <= 2) continue;
            if (!first) buffer.Write(","u8);
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
        response.Headers.CacheControl = "no-cache";
        if (request.Headers.IfNoneMatch.Count > 0)
        {
            foreach (var value in request.Headers.IfNoneMatch)
            {
                if (value is null) continue;
                foreach (var candidate in value.Split(',', StringSplitOptions.TrimEntries))
                    if (candidate == "*" || candidate == tag || candidate == "W/" + tag)
                    {
                        timing?.WriteTo(response);
                        return Results.StatusCode(StatusCodes.Status304NotModified);
                    }
            }
        }
        var body = json;
        if (acceptsGzip)
        {
            response.Headers.ContentEncoding = "gzip";
            var started = Stopwatch.GetTimestamp();
            body = gzip is not null ? gzip() : SeriesMetadataCache.Gzip(json);
            if (timing is not null) timing.Gzip = Stopwatch.GetElapsedTime(started);
        }
        timing?.WriteTo(response);
        // One write of the cached bytes with a Content-Length; Kestrel copies them to the socket as they are.
        return Results.Bytes(body, PixelMediaTypes.DicomJson);
    }

    private static bool AcceptsGzip(HttpRequest request)
    {
        foreach (var value in request.Headers.AcceptEncoding)
        {
            if (value is null) continue;
            foreach (var part in value.Split(','))
            {
                var p = part.Split(';', StringSplitOptions.TrimEntries);
                if (!p[0].Equals("gzip", StringComparison.OrdinalIgnoreCase)) continue;
                if (p.Length > 1 && p[1].Replace(" ", "", StringComparison.Ordinal) is "q=0" or "q=0.0" or "q=0.00" or "q=0.000") return false;
                return true;
            }
        }
        return false;
    }

    internal static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
}

/// <summary>A series' metadata rendered for one base URL, with the offsets of each instance's object.</summary>
internal sealed class RenderedSeries(string version, string baseUrl, byte[] json, string[] sopInstanceUids, int[] offsets, int[] lengths)
{
    private byte[]? _gzip;
    private Dictionary<string, int>? _index;

    public string Version { get; } = version;
    public string BaseUrl { get; } = baseUrl;
    public byte[] Json { get; } = json;
    public IReadOnlyList<int> Offsets { get; } = offsets;
    public IReadOnlyList<int> Lengths { get; } = lengths;
    public string ETag { get; } = MetadataResource.Hash(version + " " + baseUrl);

    public byte[] GetGzip() => _gzip ??= SeriesMetadataCache.Gzip(Json);

    /// <summary>What this entry holds in memory (the gzip form counted as a tenth of the JSON before it exists).</summary>
    public long Bytes => Json.Length + (_gzip?.Length ?? Json.Length / 10);

    /// <summary>Stopwatch timestamp of the last request served from this entry (least recently used goes first).</summary>
    public long LastUsed { get; set; } = System.Diagnostics.Stopwatch.GetTimestamp();

    public int IndexOf(string sopInstanceUid)
    {
        _index ??= sopInstanceUids.Select((uid, i) => (uid, i)).ToDictionary(x => x.uid, x => x.i, StringComparer.Ordinal);
        return _index.TryGetValue(sopInstanceUid, out var i) ? i : -1;
    }
}

/// <summary>
/// This gateway's copy of the series metadata the study grains hold, validated against the grain on every request
/// (the grain answers "unchanged" without bytes), so a series changed through another gateway is never served stale.
/// </summary>
internal sealed class SeriesMetadataCache(IOptions<DicomWebOptions> options)
{
    private static readonly byte[] Marker = Encoding.UTF8.GetBytes("\"BulkDataURI\":\"" + SeriesMetadata.BaseUriMarker);
    private readonly ConcurrentDictionary<(string Study, string Series), RenderedSeries> _entries = new();
    private readonly Lock _trimLock = new();

    public async Task<RenderedSeries?> GetAsync(IStudyGrain grain, string study, string series, string baseUrl, MetadataTiming? timing = null)
    {
        _entries.TryGetValue((study, series), out var cached);
        var known = cached is not null && cached.BaseUrl == baseUrl ? cached.Version : null;
        var started = Stopwatch.GetTimestamp();
        var metadata = await grain.GetSeriesMetadataAsync(series, known).ConfigureAwait(false);
        if (timing is not null) timing.Grain = Stopwatch.GetElapsedTime(started);
        if (metadata is null)
        {
            _entries.TryRemove((study, series), out _);
            return null;
        }
        if (metadata.Json is null && cached is not null && cached.Version == metadata.Version)
        {
            cached.LastUsed = Stopwatch.GetTimestamp();
            return cached;
        }

        if (metadata.Json is null)
        {
            // Raced with an eviction: ask for the bytes.
            metadata = await grain.GetSeriesMetadataAsync(series, null).ConfigureAwait(false);
            if (metadata?.Json is null) return null;
        }
        started = Stopwatch.GetTimestamp();
        var rendered = Render(metadata, baseUrl);
        if (timing is not null) timing.Render = Stopwatch.GetElapsedTime(started);
        var budget = options.Value.MetadataCacheMegabytes * 1024L * 1024;
        if (budget > 0 && rendered.Bytes <= budget / 4)
        {
            _entries[(study, series)] = rendered;
            Trim(budget);
        }
        return rendered;
    }

    /// <summary>Total bytes held (approximate: gzip forms are counted once made).</summary>
    internal long Bytes => _entries.Values.Sum(e => e.Bytes);

    internal int Count => _entries.Count;

    /// <summary>Drops the least recently used series until the cache is within its budget (one trimmer at a time).</summary>
    private void Trim(long budget)
    {
        if (Bytes <= budget || !_trimLock.TryEnter()) return;
        try
        {
            var total = Bytes;
            foreach (var (key, entry) in _entries.OrderBy(e => e.Value.LastUsed).ToList())
            {
                if (total <= budget * 3 / 4) break;
                if (_entries.TryRemove(new KeyValuePair<(string, string), RenderedSeries>(key, entry))) total -= entry.Bytes;
            }
        }
        finally
        {
            _trimLock.Exit();
        }
    }

    /// <summary>Replaces the base marker at the start of every BulkDataURI value with <paramref name="baseUrl"/>.</summary>
    /// <remarks>Runs once per series, so it would run unoptimised code for the first series of a process: compiled
    /// optimised from the start.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static RenderedSeries Render(SeriesMetadata metadata, string baseUrl)
    {
        var source = metadata.Json!;
        var replacement = Encoding.UTF8.GetBytes(baseUrl);
        var markerTail = Encoding.UTF8.GetByteCount(SeriesMetadata.BaseUriMarker);

        // First where the markers are, then one copy into an array of the exact size (a series is megabytes).
        var hits = new List<int>();
        for (var from = 0; ;)
        {
            var hit = source.AsSpan(from).IndexOf(Marker);
            if (hit < 0) break;
            hits.Add(from + hit + Marker.Length - markerTail);
            from += hit + Marker.Length;
        }
        var output = new byte[source.Length + hits.Count * (replacement.Length - markerTail)];
        var count = metadata.SopInstanceUids.Count;
        var offsets = new int[count];
        var lengths = new int[count];
        int read = 0, written = 0, next = 0;
        void CopyUpTo(int end)
        {
            while (true)
            {
                var stop = next < hits.Count && hits[next] < end ? hits[next] : end;
                source.AsSpan(read, stop - read).CopyTo(output.AsSpan(written));
                written += stop - read;
                read = stop;
                if (stop == end) return;
                replacement.CopyTo(output.AsSpan(written));
                written += replacement.Length;
                read += markerTail;
                next++;
            }
        }
        for (var i = 0; i < count; i++)
        {
            CopyUpTo(metadata.Offsets[i]);
            offsets[i] = written;
            CopyUpTo(metadata.Offsets[i] + metadata.Lengths[i]);
            lengths[i] = written - offsets[i];
        }
        CopyUpTo(source.Length);
        return new RenderedSeries(metadata.Version, baseUrl, output, metadata.SopInstanceUids.ToArray(), offsets, lengths);
    }

    internal static byte[] Gzip(byte[] json)
    {
        using var buffer = new MemoryStream(json.Length / 4 + 64);
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(json);
        return buffer.ToArray();
    }
}

/// <summary>
/// Where a metadata request spent its time in this gateway, sent as a Server-Timing header (W3C Server Timing) so that
/// a benchmark or a browser's developer tools see the gateway's share: the study grain call (a build from the index
/// when the series is cold), the rendering of BulkDataURIs, the gzip, and the total up to the first body byte.
/// </summary>
internal sealed class MetadataTiming
{
    private readonly long _started = Stopwatch.GetTimestamp();

    public TimeSpan Grain { get; set; }

    public TimeSpan? Render { get; set; }

    public TimeSpan? Gzip { get; set; }

    public void WriteTo(HttpResponse response)
    {
        var total = Stopwatch.GetElapsedTime(_started);
        var text = new StringBuilder(96);
        Append(text, "grain", Grain);
        if (Render is { } render) Append(text, "render", render);
        if (Gzip is { } gzip) Append(text, "gzip", gzip);
        Append(text, "total", total);
        response.Headers["Server-Timing"] = text.ToString();
    }

    private static void Append(StringBuilder text, string name, TimeSpan duration)
    {
        if (text.Length > 0) text.Append(", ");
        text.Append(name).Append(";dur=").Append(duration.TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture));
    }
}
