using Microsoft.Extensions.Options;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.DicomWeb;

/// <summary>What a DICOMweb read is to the reader, for <see cref="ReadAdmission"/>: what opens a study goes first.</summary>
public enum ReadClass
{
    /// <summary>Searches and metadata: small answers a viewer needs before it can ask for any image.</summary>
    Interactive = 0,

    /// <summary>
    /// The frame that opens a series for a reader: its first frame or rendered image of a series it has not been sent
    /// one of for <see cref="ReadAdmission.OpeningWindow"/> (<see cref="ReadAdmission.ClassOfSeriesRead"/>). The image
    /// a viewer shows first, so it goes before the stacks, thumbnails and retrieve sub-operations under way.
    /// </summary>
    Opening = 1,

    /// <summary>
    /// Frames, thumbnails, rendered images, bulk data, whole instances, C-MOVE and C-GET sub-operations: one reader's
    /// in the order it asked (its thumbnails before its stack, as the viewer asks), readers in turn.
    /// </summary>
    Bulk = 2,
}

/// <summary>
/// Admission of DICOMweb reads on this gateway (issue 17 §1: "reads must not starve modalities, nor modalities
/// readers"). All requests share one thread pool and the same cores with the ingest of C-STORE and STOW-RS; 50
/// viewers keep up to 300 requests under way (six connections each), and every step of a C-STORE (a PDU read, the
/// blob's fsync, the index commit) then waited behind them: ingest fell to 12–18 % of its rate alone. Here at most
/// <see cref="DicomWebOptions.ReadConcurrency"/> reads run at once; while the gateway ingests
/// (<see cref="IngestActivity"/>) bulk reads start only while fewer than <see cref="Limit"/> run, so that searches,
/// metadata and the reads that open a series keep the rest of the slots and do not wait behind the one bulk read
/// under way. The others wait, without a thread, in queues served in this order:
/// <list type="number">
/// <item>interactive reads (searches, metadata), then the reads that open a series (a reader's first frame of it,
/// <see cref="ReadClass.Opening"/>), then bulk ones (the rest of the frames, thumbnails, retrieves), so a study being
/// opened does not wait behind the stacks others are loading, nor its first image behind its own thumbnails;</item>
/// <item>within a class, round-robin over readers (the session, else the account, else the address), one request
/// each in turn, so one reader's 300-frame stack does not hold back another's first frame.</item>
/// </list>
/// A read that holds its slot longer than <see cref="DicomWebOptions.ReadSlotMilliseconds"/> (a slow network writing
/// a large answer, a big retrieve) stops counting against the limit, so a few slow clients cannot hold the rest back;
/// what they cost is then the network's, not the cores'. While the gateway ingests, bulk reads hold slots at most
/// <see cref="DicomWebOptions.ReadBulkShareDuringIngest"/> of the time (a pause after each, as long as it held its slot
/// times (1 − share) / share), so that the stacks under way leave the modalities their cores while searches and the
/// reads that open a series still go at once. A queue longer than <see cref="DicomWebOptions.ReadQueueLimit"/>
/// answers 503 with Retry-After (RFC 9110 15.6.4) instead of growing without bound.
/// </summary>
public sealed class ReadAdmission : IDisposable
{
    private readonly object _gate = new();
    private readonly IngestActivity _ingest;
    private readonly TimeProvider _time;
    private readonly int _limit;
    private readonly int _limitDuringIngest;
    private readonly int _queueLimit;
    private readonly long _slotTicks;
    private readonly double _bulkShare;
    private readonly ClassQueue[] _classes = [new(), new(), new()];
    // Slots held, each by the timestamp it was granted at (a few entries: at most the limit, plus slow ones).
    private readonly List<Lease> _running = [];
    private readonly ITimer _sweep;
    private readonly ITimer _resume;
    private int _queued;
    // While the gateway ingests, no bulk read starts before this timestamp (ReadBulkShareDuringIngest).
    private long _bulkResumesAt;

    // When each (reader, series) was last sent a frame, for ClassOfSeriesRead: at most OpenSeriesLimit entries.
    private readonly object _openedGate = new();
    private readonly Dictionary<(string Reader, string Series), long> _opened = [];
    private readonly long _openingTicks;

    /// <summary>
    /// How long after a reader's last frame of a series its next one is still part of a series it has open: a viewer
    /// loads a stack in seconds; a reader who comes back to the series later opens it again.
    /// </summary>
    public static readonly TimeSpan OpeningWindow = TimeSpan.FromSeconds(30);

    /// <summary>Series open at once across all readers that <see cref="ClassOfSeriesRead"/> remembers (bounded memory).</summary>
    public const int OpenSeriesLimit = 4096;

    public ReadAdmission(IOptions<DicomWebOptions> options, IngestActivity ingest, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _ingest = ingest;
        _time = time ?? TimeProvider.System;
        _limit = o.ReadConcurrency > 0 ? o.ReadConcurrency : Math.Max(2, 2 * Environment.ProcessorCount);
        _limitDuringIngest = Math.Min(_limit, o.ReadConcurrencyDuringIngest > 0 ? o.ReadConcurrencyDuringIngest : Math.Max(1, Environment.ProcessorCount / 2));
        _queueLimit = o.ReadQueueLimit;
        _slotTicks = (long)(o.ReadSlotMilliseconds / 1000.0 * _time.TimestampFrequency);
        _openingTicks = (long)(OpeningWindow.TotalSeconds * _time.TimestampFrequency);
        // Slots of slow reads are given back even when no request comes or ends to do it.
        var period = TimeSpan.FromMilliseconds(Math.Max(10, o.ReadSlotMilliseconds / 2));
        _sweep = _time.CreateTimer(_ => Dispatch(), null, period, period);
        _bulkShare = o.ReadBulkShareDuringIngest;
        _resume = _time.CreateTimer(_ => Dispatch(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Reads running at once below which a bulk read may start now: fewer while this gateway ingests. Searches, metadata
    /// and the reads that open a series start while fewer than <see cref="DicomWebOptions.ReadConcurrency"/> run.
    /// </summary>
    public int Limit => _ingest.Active ? _limitDuringIngest : _limit;

    private int LimitFor(ReadClass readClass) => readClass == ReadClass.Bulk ? Limit : _limit;

    /// <summary>Reads waiting now (for telemetry and tests).</summary>
    public int Queued
    {
        get
        {
            lock (_gate)
            {
                return _queued;
            }
        }
    }

    /// <summary>Reads holding a slot that still counts (for telemetry and tests).</summary>
    public int Running
    {
        get
        {
            lock (_gate)
            {
                return CountingLocked(_time.GetTimestamp());
            }
        }
    }

    /// <summary>
    /// Waits for a slot for one read of <paramref name="reader"/>; dispose the lease when the answer is written.
    /// Null when the queue is full (the caller answers 503). Cancelled with <paramref name="cancellationToken"/>.
    /// </summary>
    public ValueTask<Lease?> EnterAsync(ReadClass readClass, string reader, CancellationToken cancellationToken)
    {
        Waiter waiter;
        bool slotFree;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (_queued == 0 && CountingLocked(now) < LimitFor(readClass) && (readClass != ReadClass.Bulk || !BulkPausedLocked(now)))
            {
                var lease = new Lease(this, now, readClass);
                _running.Add(lease);
                GatewayTelemetry.ReadAdmitted(readClass, 0);
                return ValueTask.FromResult<Lease?>(lease);
            }

            if (_queued >= _queueLimit)
            {
                return ValueTask.FromResult<Lease?>(null);
            }

            waiter = new Waiter(readClass, now);
            _classes[(int)readClass].Enqueue(reader, waiter);
            _queued++;
            // A slot is free while bulk reads wait out their pause: this read may go before them.
            slotFree = CountingLocked(now) < LimitFor(readClass);
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(static state => ((Waiter)state!).Completion.TrySetCanceled(), waiter);
        }

        if (slotFree)
        {
            Dispatch();
        }

        return new ValueTask<Lease?>(waiter.Completion.Task);
    }

    /// <summary>(reader, series) pairs <see cref="ClassOfSeriesRead"/> remembers now (for tests).</summary>
    internal int OpenSeriesRemembered
    {
        get
        {
            lock (_openedGate)
            {
                return _opened.Count;
            }
        }
    }

    public void Dispose()
    {
        _sweep.Dispose();
        _resume.Dispose();
    }

    /// <summary>
    /// The class of a frame (or rendered image) of <paramref name="series"/> for <paramref name="reader"/>:
    /// <see cref="ReadClass.Opening"/> when the reader has asked for none of that series within
    /// <see cref="OpeningWindow"/>, else <see cref="ReadClass.Bulk"/>; either way the series counts as open from now.
    /// At most <see cref="OpenSeriesLimit"/> are remembered: past that the expired ones are dropped, and if none has
    /// expired all are forgotten (a few reads more are then classed as opening; nothing grows).
    /// </summary>
    public ReadClass ClassOfSeriesRead(string reader, string series)
    {
        var key = (reader, series);
        lock (_openedGate)
        {
            var now = _time.GetTimestamp();
            var open = _opened.TryGetValue(key, out var last) && now - last < _openingTicks;
            if (!open && _opened.Count >= OpenSeriesLimit)
            {
                foreach (var (k, at) in _opened)
                {
                    if (now - at >= _openingTicks)
                    {
                        _opened.Remove(k);
                    }
                }

                if (_opened.Count >= OpenSeriesLimit)
                {
                    _opened.Clear();
                }
            }

            _opened[key] = now;
            return open ? ReadClass.Bulk : ReadClass.Opening;
        }
    }

    private void Release(Lease lease)
    {
        lock (_gate)
        {
            _running.Remove(lease);
            if (lease.Class == ReadClass.Bulk && _bulkShare < 1 && _ingest.Active)
            {
                // Bulk reads hold the slots at most this share of the time while the gateway ingests: after one
                // held a slot for t (the slot time at most), the next starts (1 - share) / share × t later.
                var now = _time.GetTimestamp();
                var held = Math.Min(now - lease.Granted, _slotTicks);
                _bulkResumesAt = Math.Max(_bulkResumesAt, now) + (long)(held * (1 - _bulkShare) / _bulkShare);
            }
        }

        Dispatch();
    }

    // Grants slots to waiting reads while the limit allows, in the order the summary gives. Completions run after the
    // lock is left (the waiters' continuations run asynchronously: TaskCreationOptions below).
    private void Dispatch()
    {
        List<Waiter>? granted = null;
        long resumeAt = 0;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var bulkLimit = Limit;
            var counting = CountingLocked(now);
            while (_queued > 0 && counting < _limit)
            {
                var waiter = _classes[0].Dequeue() ?? _classes[1].Dequeue();
                if (waiter is null)
                {
                    if (counting >= bulkLimit)
                    {
                        break; // only bulk reads wait, and the gateway ingests: they keep to the lower limit
                    }

                    if (BulkPausedLocked(now))
                    {
                        resumeAt = _bulkResumesAt; // only bulk reads wait, and their pause is not over
                        break;
                    }

                    waiter = _classes[2].Dequeue();
                    if (waiter is null)
                    {
                        break;
                    }
                }

                _queued--;
                if (waiter.Completion.Task.IsCompleted)
                {
                    continue; // cancelled while it waited
                }

                var lease = new Lease(this, now, waiter.Class);
                waiter.Lease = lease;
                _running.Add(lease);
                counting++;
                (granted ??= []).Add(waiter);
            }
        }

        if (resumeAt != 0)
        {
            // The clock is read again out here: on busy cores the pause may have ended since the lock was left, and a
            // negative due time would throw from a timer callback and end the process (seen in a pair run, 2026-12-07).
            var due = _time.GetElapsedTime(_time.GetTimestamp(), resumeAt) + TimeSpan.FromMilliseconds(1);
            _resume.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        if (granted is null)
        {
            return;
        }

        var granting = _time.GetTimestamp();
        foreach (var waiter in granted)
        {
            GatewayTelemetry.ReadAdmitted(waiter.Class, _time.GetElapsedTime(waiter.Enqueued, granting).TotalSeconds);
            waiter.Registration.Dispose();
            if (!waiter.Completion.TrySetResult(waiter.Lease))
            {
                waiter.Lease!.Dispose(); // cancelled between the dequeue and here: the slot goes back
            }
        }
    }

    private bool BulkPausedLocked(long now) => now < _bulkResumesAt && _ingest.Active;

    private int CountingLocked(long now)
    {
        var counting = 0;
        foreach (var lease in _running)
        {
            if (now - lease.Granted < _slotTicks)
            {
                counting++;
            }
        }

        return counting;
    }

    /// <summary>A granted slot; disposing it gives the slot back (once).</summary>
    public sealed class Lease : IDisposable
    {
        private ReadAdmission? _owner;

        internal Lease(ReadAdmission owner, long granted, ReadClass readClass)
        {
            _owner = owner;
            Granted = granted;
            Class = readClass;
        }

        internal long Granted { get; }

        internal ReadClass Class { get; }

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(this);
    }

    private sealed class Waiter(ReadClass readClass, long enqueued)
    {
        public ReadClass Class { get; } = readClass;

        public long Enqueued { get; } = enqueued;

        public TaskCompletionSource<Lease?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }

        public Lease? Lease { get; set; }
    }

    // One class's waiting reads: a FIFO queue per reader, and the readers with something waiting in turn order.
    private sealed class ClassQueue
    {
        private readonly Dictionary<string, Queue<Waiter>> _byReader = new(StringComparer.Ordinal);
        private readonly Queue<string> _turns = new();

        public void Enqueue(string reader, Waiter waiter)
        {
            if (!_byReader.TryGetValue(reader, out var queue))
            {
                queue = new Queue<Waiter>();
                _byReader[reader] = queue;
                _turns.Enqueue(reader);
            }

            queue.Enqueue(waiter);
        }

        public Waiter? Dequeue()
        {
            if (!_turns.TryDequeue(out var reader))
            {
                return null;
            }

            var queue = _byReader[reader];
            var waiter = queue.Dequeue();
            if (queue.Count > 0)
            {
                _turns.Enqueue(reader); // its next request waits for everyone else's turn
            }
            else
            {
                _byReader.Remove(reader);
            }

            return waiter;
        }
    }
}
