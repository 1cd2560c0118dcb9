using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>
/// The rendered images and thumbnails this gateway has encoded (PS3.18 10.4.1.1.3, 10.4.1.1.4), so that the viewer's
/// thumbnails of a series are drawn once per gateway, not once per reader: a 2140×1760 CR thumbnail reads 7.5 MB and
/// windows 3.8 million pixels to make 5 KB. Keyed by the blob key and every rendering option. A blob key is new for
/// every write (random suffix) and a blob is never rewritten, so an entry can never be stale: a replaced instance has a
/// new key, and a deleted one is no longer found in the index, which every request still asks before the cache
/// (with access groups, and audited). Bounded by bytes (<see cref="DicomWebOptions.RenderedCacheMegabytes"/>): the
/// least recently used entries go first; an image larger than a sixteenth of the budget is not kept.
/// </summary>
internal sealed class RenderedCache(IOptions<DicomWebOptions> options)
{
    private readonly ConcurrentDictionary<(string BlobKey, RenderOptions Options), Entry> _entries = new();
    private readonly Lock _trimLock = new();
    private long _bytes;

    /// <summary>An encoded image and its media type.</summary>
    internal sealed record Entry(byte[] Bytes, string ContentType)
    {
        public long LastUsed { get; set; } = Stopwatch.GetTimestamp();
    }

    private long Budget => options.Value.RenderedCacheMegabytes * 1024L * 1024;

    /// <summary>Bytes held (the encoded images).</summary>
    internal long Bytes => Interlocked.Read(ref _bytes);

    internal int Count => _entries.Count;

    public bool TryGet(string blobKey, RenderOptions renderOptions, out Entry entry)
    {
        if (_entries.TryGetValue((blobKey, renderOptions), out var found))
        {
            found.LastUsed = Stopwatch.GetTimestamp();
            entry = found;
            return true;
        }

        entry = null!;
        return false;
    }

    public void Add(string blobKey, RenderOptions renderOptions, byte[] bytes, string contentType)
    {
        var budget = Budget;
        if (budget <= 0 || bytes.Length > budget / 16)
        {
            return;
        }

        var entry = new Entry(bytes, contentType);
        if (_entries.TryAdd((blobKey, renderOptions), entry))
        {
            if (Interlocked.Add(ref _bytes, bytes.Length) > budget)
            {
                Trim(budget);
            }
        }
    }

    /// <summary>Drops the least recently used entries down to three quarters of the budget (one trimmer at a time).</summary>
    private void Trim(long budget)
    {
        if (!_trimLock.TryEnter())
        {
            return;
        }

        try
        {
            foreach (var (key, entry) in _entries.OrderBy(e => e.Value.LastUsed).ToList())
            {
                if (Bytes <= budget * 3 / 4)
                {
                    break;
                }

                if (_entries.TryRemove(new KeyValuePair<(string, RenderOptions), Entry>(key, entry)))
                {
                    Interlocked.Add(ref _bytes, -entry.Bytes.Length);
                }
            }
        }
        finally
        {
            _trimLock.Exit();
        }
    }
}
