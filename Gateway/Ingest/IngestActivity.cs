namespace Pacs.Gateway.Ingest;

/// <summary>
/// Whether this gateway is receiving instances (C-STORE or STOW-RS) now: the ingest funnel marks each instance as it
/// begins and as it is answered, and <see cref="DicomWeb.ReadAdmission"/> admits fewer reads at once while the last
/// mark is recent, so that readers do not starve modalities (issue 17 §1). A mark, not a count of instances under
/// way: a caller that drops an instance half-way leaves nothing behind that would hold the readers down.
/// </summary>
public sealed class IngestActivity(TimeProvider time)
{
    /// <summary>How long after its last mark the gateway still counts as ingesting: between two instances of one
    /// association (a commit, the next header) lie milliseconds; a modality between studies is idle.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    // 0: never marked (Stopwatch timestamps of a running system are far above 0).
    private long _lastMark;

    public IngestActivity()
        : this(TimeProvider.System)
    {
    }

    /// <summary>True when an instance began or was answered less than <see cref="Window"/> ago.</summary>
    public bool Active
    {
        get
        {
            var last = Volatile.Read(ref _lastMark);
            return last != 0 && time.GetElapsedTime(last) < Window;
        }
    }

    /// <summary>An instance begins, or was answered.</summary>
    public void Mark() => Volatile.Write(ref _lastMark, Math.Max(1, time.GetTimestamp()));
}
