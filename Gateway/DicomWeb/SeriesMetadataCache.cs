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
