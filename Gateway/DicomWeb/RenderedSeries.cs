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

namespace Pacs.Gateway.DicomWeb;

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
