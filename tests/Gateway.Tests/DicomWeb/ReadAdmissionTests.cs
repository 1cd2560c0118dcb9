using Microsoft.Extensions.Options;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.Tests.DicomWeb;

public sealed class ReadAdmissionTests : IDisposable
{
    private readonly ManualClock _clock = new();
    private readonly IngestActivity _ingest;
    private readonly ReadAdmission _admission;

    public ReadAdmissionTests()
    {
        _ingest = new IngestActivity(_clock);
        _admission = Create(new DicomWebOptions { ReadConcurrency = 2, ReadConcurrencyDuringIngest = 1, ReadQueueLimit = 5, ReadSlotMilliseconds = 250 });
    }

    public void Dispose() => _admission.Dispose();

    [Fact]
    public async Task Admits_up_to_the_limit_and_the_next_when_a_slot_is_given_back()
    {
        var first = await _admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
        var second = await _admission.EnterAsync(ReadClass.Bulk, "b", CancellationToken.None);
        var third = _admission.EnterAsync(ReadClass.Bulk, "c", CancellationToken.None).AsTask();

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.False(third.IsCompleted);
        Assert.Equal(1, _admission.Queued);

        first!.Dispose();
        Assert.NotNull(await third.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, _admission.Queued);
        Assert.Equal(2, _admission.Running);

        first.Dispose(); // a second Dispose gives nothing back twice
        Assert.Equal(2, _admission.Running);
    }

    [Fact]
    public async Task Searches_and_metadata_go_before_frames_that_waited_longer()
    {
        using var a = await _admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
        var b = await _admission.EnterAsync(ReadClass.Bulk, "b", CancellationToken.None);
        var frames = _admission.EnterAsync(ReadClass.Bulk, "c", CancellationToken.None).AsTask();
        var search = _admission.EnterAsync(ReadClass.Interactive, "d", CancellationToken.None).AsTask();

        b!.Dispose();
        using var granted = await search.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(frames.IsCompleted);
    }

    [Fact]
    public async Task Readers_take_turns_one_request_each()
    {
        var held = new[]
        {
            await _admission.EnterAsync(ReadClass.Bulk, "x", CancellationToken.None),
            await _admission.EnterAsync(ReadClass.Bulk, "x", CancellationToken.None),
        };
        var order = new List<string>();
        var waits = new List<Task>();
        foreach (var reader in new[] { "a", "a", "a", "b" })
        {
            var wait = _admission.EnterAsync(ReadClass.Bulk, reader, CancellationToken.None).AsTask();
            waits.Add(wait.ContinueWith(t =>
            {
                lock (order)
                {
                    order.Add(reader);
                }

                t.Result!.Dispose(); // done at once: the next one in turn gets the slot
            }, TaskScheduler.Default));
        }

        held[0]!.Dispose();
        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(5));
        held[1]!.Dispose();
        // a's first request was ahead of b's, its other two behind it: b waits for one of a's, not three.
        Assert.Equal(["a", "b", "a", "a"], order);
    }

    [Fact]
    public async Task While_the_gateway_ingests_fewer_reads_run_at_once()
    {
        Assert.Equal(2, _admission.Limit);
        _ingest.Mark();
        Assert.Equal(1, _admission.Limit);

        using var one = await _admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
        var two = _admission.EnterAsync(ReadClass.Bulk, "b", CancellationToken.None).AsTask();
        Assert.False(two.IsCompleted);

        // A second after the last instance the gateway is idle again; the sweep lets the waiting read in.
        _clock.Advance(IngestActivity.Window + TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, _admission.Limit);
        _clock.Advance(TimeSpan.FromMilliseconds(10)); // still inside the slot time of "one": only the limit changed
        using var granted = await two.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(granted);
    }

    [Fact]
    public async Task A_read_holding_its_slot_past_the_slot_time_stops_counting()
    {
        using var slow1 = await _admission.EnterAsync(ReadClass.Bulk, "slow", CancellationToken.None);
        using var slow2 = await _admission.EnterAsync(ReadClass.Bulk, "slow", CancellationToken.None);
        var waiting = _admission.EnterAsync(ReadClass.Interactive, "other", CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        _clock.Advance(TimeSpan.FromMilliseconds(249));
        await Task.Delay(300); // the sweep runs (every 125 ms): nothing yet
        Assert.False(waiting.IsCompleted);

        _clock.Advance(TimeSpan.FromMilliseconds(2));
        using var granted = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(granted);
        Assert.Equal(1, _admission.Running);
    }

    [Fact]
    public async Task A_full_queue_refuses_and_a_cancelled_wait_gives_its_turn_away()
    {
        using var a = await _admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
        var b = await _admission.EnterAsync(ReadClass.Bulk, "b", CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = _admission.EnterAsync(ReadClass.Bulk, "c", cancel.Token).AsTask();
        var waits = new List<Task<ReadAdmission.Lease?>>();
        for (var i = 0; i < 4; i++)
        {
            waits.Add(_admission.EnterAsync(ReadClass.Bulk, $"w{i}", CancellationToken.None).AsTask());
        }

        Assert.Null(await _admission.EnterAsync(ReadClass.Bulk, "late", CancellationToken.None));

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        b!.Dispose();
        using var next = await waits[0].WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(next);
        Assert.All(waits.Skip(1), w => Assert.False(w.IsCompleted));
    }

    private ReadAdmission Create(DicomWebOptions options) => new(Options.Create(options), _ingest, _clock);

    private sealed class ManualClock : TimeProvider
    {
        private long _now = 1_000_000_000;

        public override long GetTimestamp() => Interlocked.Read(ref _now);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _now, (long)(by.TotalSeconds * TimestampFrequency));
    }
}
