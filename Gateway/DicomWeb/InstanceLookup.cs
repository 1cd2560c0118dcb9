using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// The instance a frame, rendered or thumbnail URL names (study, series, SOP Instance UIDs), found in the index with one
/// query per series rather than one per request: a viewer asks for every frame of a series within seconds, and each
/// asked the index on its own (a statement per frame). The series' rows (where each instance's blob is) are kept for
/// <see cref="DicomWebOptions.InstanceLookupMilliseconds"/>, so an instance deleted or replaced through another gateway
/// may be found here for at most that long after its delete committed; a delete through this gateway forgets the study
/// at once (<see cref="Forget"/>); an instance stored since the series was read is not in the copy and is asked for on
/// its own. Concurrent requests for a series wait for one read. Bounded: at most
/// <see cref="MaxInstances"/> rows are held; expired series are dropped when that is reached, and everything when
/// nothing has expired. Authorization is unchanged: access groups are checked per request before this
/// (<see cref="StudyAccessFilter"/>), and every request is audited.
/// </summary>
internal sealed class InstanceLookup(IndexReader index, IOptions<DicomWebOptions> options)
{
    /// <summary>Series held at most; beyond it the expired ones are dropped, and all when none has expired.</summary>
    internal const int MaxSeries = 4096;

    /// <summary>Rows held at most (about 0.5 KB each); beyond it everything is dropped.</summary>
    internal const int MaxInstances = 200_000;

    private readonly ConcurrentDictionary<(string Study, string Series), Slot> _series = new();
    private int _loads;

    private sealed class Slot(Func<Task<Dictionary<string, IndexedInstance>>> read)
    {
        private readonly Lazy<Task<Dictionary<string, IndexedInstance>>> _rows = new(read);

        public long Started { get; } = Stopwatch.GetTimestamp();

        /// <summary>The read, begun by the first caller that needs it (a slot that lost a race is never read).</summary>
        public Task<Dictionary<string, IndexedInstance>> Rows => _rows.Value;

        public int Count => _rows.IsValueCreated && _rows.Value.IsCompletedSuccessfully ? _rows.Value.Result.Count : 0;

        public bool Fresh(int lifetime) =>
            Stopwatch.GetElapsedTime(Started).TotalMilliseconds < lifetime
            && !(_rows.IsValueCreated && (_rows.Value.IsFaulted || _rows.Value.IsCanceled));
    }

    internal int SeriesCount => _series.Count;

    internal int InstanceCount => _series.Values.Sum(s => s.Count);

    /// <summary>The instance; 404 (<see cref="DicomWebException"/>) when the index has no such instance in that series.</summary>
    public async Task<IndexedInstance> FindAsync(string study, string series, string sop, CancellationToken cancellationToken)
    {
        var lifetime = options.Value.InstanceLookupMilliseconds;
        if (lifetime <= 0)
        {
            return (await DicomWebUris.InstancesAsync(index, study, series, sop, cancellationToken).ConfigureAwait(false))[0];
        }

        var key = (study, series);
        var slot = Current(key, lifetime);
        Dictionary<string, IndexedInstance> rows;
        try
        {
            // The read is shared: one caller's cancellation must not fail the others'.
            rows = await slot.Rows.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _series.TryRemove(new KeyValuePair<(string, string), Slot>(key, slot));
            throw;
        }

        if (rows.TryGetValue(sop, out var found))
        {
            return found;
        }

        // Stored after the series was read (or not there at all): the index decides, 404 included.
        return (await DicomWebUris.InstancesAsync(index, study, series, sop, cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// The instance as the index has it now, whatever is held (a request found the blob of the held row gone: the
    /// instance was deleted or replaced since); the series' held rows are dropped.
    /// </summary>
    public async Task<IndexedInstance> FindInIndexAsync(string study, string series, string sop, CancellationToken cancellationToken)
    {
        _series.TryRemove((study, series), out _);
        return (await DicomWebUris.InstancesAsync(index, study, series, sop, cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>Drops what is held of a study (a delete through this gateway).</summary>
    public void Forget(string study)
    {
        foreach (var entry in _series)
        {
            if (entry.Key.Study == study)
            {
                _series.TryRemove(entry);
            }
        }
    }

    /// <summary>The fresh slot of the series: the one held, or a new one that replaces an expired one.</summary>
    private Slot Current((string Study, string Series) key, int lifetime)
    {
        while (true)
        {
            if (_series.TryGetValue(key, out var held))
            {
                if (held.Fresh(lifetime))
                {
                    return held;
                }

                var replacement = new Slot(() => ReadSeriesAsync(key.Study, key.Series));
                if (_series.TryUpdate(key, replacement, held))
                {
                    return replacement;
                }

                continue;
            }

            var added = new Slot(() => ReadSeriesAsync(key.Study, key.Series));
            if (_series.TryAdd(key, added))
            {
                if (Interlocked.Increment(ref _loads) % 64 == 0 || _series.Count > MaxSeries)
                {
                    Sweep(lifetime);
                }

                return added;
            }
        }
    }

    private async Task<Dictionary<string, IndexedInstance>> ReadSeriesAsync(string study, string series)
    {
        IReadOnlyList<IndexedInstance> rows;
        try
        {
            // Never a request's token: other requests wait for this read too.
            rows = await DicomWebUris.InstancesAsync(index, study, series, null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (DicomWebException)
        {
            rows = []; // no such series: an empty copy, and each request asks the index itself (404)
        }

        var bySop = new Dictionary<string, IndexedInstance>(rows.Count, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            bySop[row.SopInstanceUid] = row;
        }

        return bySop;
    }

    /// <summary>Drops the expired series; everything when what is left is still over a bound.</summary>
    private void Sweep(int lifetime)
    {
        foreach (var entry in _series)
        {
            if (!entry.Value.Fresh(lifetime))
            {
                _series.TryRemove(entry);
            }
        }
        if (_series.Count > MaxSeries || InstanceCount > MaxInstances)
        {
            _series.Clear();
        }
    }
}
