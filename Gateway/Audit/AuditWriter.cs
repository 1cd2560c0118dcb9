using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Audit;

/// <summary>
/// The gateway's one audit writer. <see cref="Record"/> never waits: it puts the record on a bounded channel and
/// returns, and a background loop writes whatever has queued in one INSERT per batch (<see cref="AuditTrail"/>), at most
/// one batch per <see cref="AuditOptions.FlushInterval"/> unless a whole batch is waiting, so a request or a C-STORE
/// pays a queue write, not a database round trip, and a burst costs the database one transaction per interval. When the queue is full (the database has been
/// unreachable for a long while, or cannot keep up) the record is dropped rather than stalling patient care: each drop
/// is counted (<see cref="Dropped"/>) and logged at Warning, once per interval with the count. On a clean shutdown the
/// queue is closed after the server has finished its requests and everything queued is written before the process
/// ends. A failed write is retried with the same batch until it succeeds or the host's shutdown timeout runs out.
/// A written batch goes on to the <see cref="SyslogForwarder"/> (when Pacs:Audit:Syslog names a repository).
/// </summary>
public sealed partial class AuditWriter : BackgroundService
{
    private const long DropLogIntervalMs = 10_000;

    private readonly Channel<AuditRecord> _queue;
    private readonly AuditTrail _trail;
    private readonly SyslogForwarder? _forwarder;
    private readonly int _batchSize;
    private readonly TimeSpan _flushInterval;
    private readonly ILogger<AuditWriter> _logger;
    private long _dropped;
    private long _droppedSinceLogged;
    private long _lastDropLogged = Environment.TickCount64 - DropLogIntervalMs;

    /// <param name="forwarder">The syslog forwarder (registered with the writer; absent in tests that only queue).</param>
    public AuditWriter(AuditTrail trail, IOptions<AuditOptions> options, ILogger<AuditWriter> logger, SyslogForwarder? forwarder = null)
    {
        _trail = trail;
        _forwarder = forwarder;
        _batchSize = options.Value.BatchSize;
        _flushInterval = options.Value.FlushInterval;
        _logger = logger;
        _queue = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(options.Value.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite answers false when full: we count, never wait
            SingleReader = true,
        });
    }

    /// <summary>Records dropped because the queue was full or closed, since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Record(AuditRecord record)
    {
        if (_queue.Writer.TryWrite(record))
        {
            return;
        }

        Interlocked.Increment(ref _dropped);
        var pending = Interlocked.Increment(ref _droppedSinceLogged);
        var last = Volatile.Read(ref _lastDropLogged);
        var now = Environment.TickCount64;
        if (now - last < DropLogIntervalMs || Interlocked.CompareExchange(ref _lastDropLogged, now, last) != last)
        {
            return;
        }

        Interlocked.Add(ref _droppedSinceLogged, -pending);
        LogDropped(_logger, pending, Dropped);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // The server has stopped taking requests by now (it stops before the services registered ahead of it):
        // close the queue, let the loop write what is left, and give up only when the host's timeout does.
        _queue.Writer.TryComplete();
        if (ExecuteTask is { } loop)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditRecord>(_batchSize);
        var reader = _queue.Reader;
        // Not the stopping token: the loop ends when the queue is closed and drained.
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            // Let the records of a burst gather (every C-STORE is one): one INSERT and one commit per interval, where
            // writing at once made about one transaction per instance stored under load.
            if (_flushInterval > TimeSpan.Zero && reader.Count < _batchSize)
            {
                await Task.Delay(_flushInterval).ConfigureAwait(false);
            }

            while (batch.Count < _batchSize && reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            await WriteAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<AuditRecord> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _trail.AppendAsync(batch, CancellationToken.None).ConfigureAwait(false);
                _forwarder?.Enqueue(batch);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogWriteFailed(_logger, batch.Count, attempt, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * attempt))).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 7300, Level = LogLevel.Warning, Message = "Audit queue full: {Dropped} audit records dropped since the last such message ({Total} since start)")]
    private static partial void LogDropped(ILogger logger, long dropped, long total);

    [LoggerMessage(EventId = 7301, Level = LogLevel.Warning, Message = "Writing {Count} audit records failed (attempt {Attempt}); retrying")]
    private static partial void LogWriteFailed(ILogger logger, int count, int attempt, Exception exception);
}
