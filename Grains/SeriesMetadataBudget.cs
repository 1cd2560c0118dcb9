namespace Pacs.Grains;

/// <summary>
/// The silo-wide memory budget of the series metadata the study grains keep (a 500-instance CT series is about 5 MiB,
/// and a study grain lives as long as it is used). The budget holds the only strong reference to each built series;
/// the grains hold a weak one and the version. Past the budget the least recently used series are let go: the
/// garbage collector frees them, and the grain rebuilds one from the index only when a gateway asks for bytes it does
/// not hold (a gateway that holds the current version is answered "unchanged" without them).
/// </summary>
internal sealed class SeriesMetadataBudget(long budgetBytes)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Entry> _order = new(); // most recently used first
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private long _bytes;

    private sealed record Entry(string Key, SeriesMetadata Metadata, long Bytes);

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Keeps <paramref name="metadata"/> under <paramref name="key"/> (replacing what was there) and trims.</summary>
    public void Keep(string key, SeriesMetadata metadata)
    {
        var bytes = (long)(metadata.Json?.Length ?? 0) + 64L * metadata.SopInstanceUids.Count;
        lock (_lock)
        {
            RemoveLocked(key);
            if (bytes > budgetBytes / 4)
            {
                return; // served once, never kept: one series must not empty the budget
            }

            _entries[key] = _order.AddFirst(new Entry(key, metadata, bytes));
            _bytes += bytes;
            while (_bytes > budgetBytes && _order.Last is { } oldest)
            {
                RemoveLocked(oldest.Value.Key);
            }
        }
    }

    /// <summary>Marks <paramref name="key"/> as just used.</summary>
    public void Touch(string key)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node) && node != _order.First)
            {
                _order.Remove(node);
                _order.AddFirst(node);
            }
        }
    }

    /// <summary>Lets go of <paramref name="key"/> (the series changed, or its grain is deactivating).</summary>
    public void Forget(string key)
    {
        lock (_lock)
        {
            RemoveLocked(key);
        }
    }

    private void RemoveLocked(string key)
    {
        if (_entries.Remove(key, out var node))
        {
            _order.Remove(node);
            _bytes -= node.Value.Bytes;
        }
    }
}
