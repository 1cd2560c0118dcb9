using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Pacs.Dicom.Query;
using Pacs.Gateway.Cluster;
using Pacs.Grains;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// This gateway's copy of the series metadata the study grains hold, validated against the grain on every request
/// (the grain answers "unchanged" without bytes), so that, while the grain answers, a series changed through another
/// gateway is never served stale.
/// </summary>
/// <remarks>
/// When the grain does not answer within <see cref="GrainCallOptions.MetadataBudget"/> (its silo was killed or hangs and
/// is not yet declared dead, or PostgreSQL is away and the grain must rebuild), the copy this gateway holds is served as
/// it is: the last version the archive confirmed, possibly without instances stored in the last seconds through another
/// gateway. Without a copy the request waits for the grain's new activation (<see cref="GrainCalls"/>).
/// </remarks>
internal sealed partial class SeriesMetadataCache(IOptions<DicomWebOptions> options, GrainCalls calls, IOptions<GrainCallOptions> callOptions, ILogger<SeriesMetadataCache> logger)
{
    private static readonly byte[] Marker = Encoding.UTF8.GetBytes("\"BulkDataURI\":\"" + SeriesMetadata.BaseUriMarker);
    private readonly ConcurrentDictionary<(string Study, string Series), RenderedSeries> _entries = new();
    private readonly Lock _trimLock = new();

    public async Task<RenderedSeries?> GetAsync(IStudyGrain grain, string study, string series, string baseUrl, MetadataTiming? timing = null)
    {
        _entries.TryGetValue((study, series), out var cached);
        var known = cached is not null && cached.BaseUrl == baseUrl ? cached.Version : null;
        var started = Stopwatch.GetTimestamp();
        SeriesMetadata? metadata;
        try
        {
            metadata = known is null
                ? await calls.RunAsync("GetSeriesMetadata", token => grain.GetSeriesMetadataAsync(series, known, token), CancellationToken.None).ConfigureAwait(false)
                : await calls.RunAsync("GetSeriesMetadata", token => grain.GetSeriesMetadataAsync(series, known, token), callOptions.Value.MetadataBudget, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (cached is not null && known is not null && (e is TimeoutException or ArchiveIndexException || GrainCalls.IsSiloUnreachable(e)))
        {
            LogServedHeldCopy(logger, study, series, e.GetType().Name);
            if (timing is not null)
            {
                timing.Grain = Stopwatch.GetElapsedTime(started);
            }

            cached.LastUsed = Stopwatch.GetTimestamp();
            return cached;
        }

        if (timing is not null)
        {
            timing.Grain = Stopwatch.GetElapsedTime(started);
        }

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
            metadata = await calls.RunAsync("GetSeriesMetadata", token => grain.GetSeriesMetadataAsync(series, null, token), CancellationToken.None).ConfigureAwait(false);
            if (metadata?.Json is null)
            {
                return null;
            }
        }
        started = Stopwatch.GetTimestamp();
        var rendered = Render(metadata, baseUrl);
        if (timing is not null)
        {
            timing.Render = Stopwatch.GetElapsedTime(started);
        }

        var budget = options.Value.MetadataCacheMegabytes * 1024L * 1024;
        if (budget > 0 && rendered.Bytes <= budget / 4)
        {
            _entries[(study, series)] = rendered;
            Trim(budget);
        }
        return rendered;
    }

    /// <summary>
    /// The study's series that hold instances, from its grain within <see cref="GrainCallOptions.MetadataBudget"/>, or
    /// from the index when the grain does not answer in time (the same list: the grain loads it from the index).
    /// </summary>
    public async Task<IReadOnlyList<string>> GetSeriesInstanceUidsAsync(IStudyGrain grain, string study, IndexReader index, CancellationToken cancellationToken)
    {
        try
        {
            return await calls.RunAsync("GetSeriesInstanceUids", grain.GetSeriesInstanceUidsAsync, callOptions.Value.MetadataBudget, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException || GrainCalls.IsSiloUnreachable(e))
        {
            LogSeriesFromIndex(logger, study, e.GetType().Name);
            var query = DicomQuery.FromQido(QueryLevel.Series, [], new QidoScope(study)).Query
                ?? throw new InvalidOperationException("A series query scoped to a study is always valid.");
            var uids = new List<string>();
            await foreach (var match in index.FindAsync(query, cancellationToken).ConfigureAwait(false))
            {
                if (match.SeriesInstanceUid is { } uid)
                {
                    uids.Add(uid);
                }
            }
            uids.Sort(StringComparer.Ordinal);
            return uids;
        }
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Metadata of series {SeriesInstanceUid} (study {StudyInstanceUid}) served from this gateway's copy: the study grain did not answer in time ({Reason})")]
    private static partial void LogServedHeldCopy(ILogger logger, string studyInstanceUid, string seriesInstanceUid, string reason);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "Series of study {StudyInstanceUid} read from the index: the study grain did not answer in time ({Reason})")]
    private static partial void LogSeriesFromIndex(ILogger logger, string studyInstanceUid, string reason);

    /// <summary>Total bytes held (approximate: gzip forms are counted once made).</summary>
    internal long Bytes => _entries.Values.Sum(e => e.Bytes);

    internal int Count => _entries.Count;

    /// <summary>Drops the least recently used series until the cache is within its budget (one trimmer at a time).</summary>
    private void Trim(long budget)
    {
        if (Bytes <= budget || !_trimLock.TryEnter())
        {
            return;
        }

        try
        {
            var total = Bytes;
            foreach (var (key, entry) in _entries.OrderBy(e => e.Value.LastUsed).ToList())
            {
                if (total <= budget * 3 / 4)
                {
                    break;
                }

                if (_entries.TryRemove(new KeyValuePair<(string, string), RenderedSeries>(key, entry)))
                {
                    total -= entry.Bytes;
                }
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
            if (hit < 0)
            {
                break;
            }

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
                if (stop == end)
                {
                    return;
                }

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
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json);
        }

        return buffer.ToArray();
    }
}
