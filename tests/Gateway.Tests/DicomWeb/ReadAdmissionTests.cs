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
    public async Task While_the_gateway_ingests_searches_and_first_images_do_not_wait_behind_the_bulk_read_under_way()
    {
        _ingest.Mark();
        using var frame = await _admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
        var nextFrame = _admission.EnterAsync(ReadClass.Bulk, "b", CancellationToken.None).AsTask();
        Assert.False(nextFrame.IsCompleted); // bulk reads: one at a time while the gateway ingests

        // A search starts beside the bulk read, up to ReadConcurrency (2): the next reader's first image waits for it.
        var search = _admission.EnterAsync(ReadClass.Interactive, "c", CancellationToken.None).AsTask();
        var search2 = await search.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(search2);
        var firstImage = _admission.EnterAsync(ReadClass.Opening, "d", CancellationToken.None).AsTask();
        Assert.False(firstImage.IsCompleted);

        search2!.Dispose();
        using var opened = await firstImage.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(opened);
        Assert.False(nextFrame.IsCompleted); // two run, the bulk one among them: still above the bulk limit
        Assert.Equal(2, _admission.Running);
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

    [Fact]
    public async Task A_readers_first_frame_of_a_series_goes_before_bulk_reads_that_waited_longer()
    {
        using var a = await _admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
        var b = await _admission.EnterAsync(ReadClass.Bulk, "b", CancellationToken.None);
        var thumbnail = _admission.EnterAsync(ReadClass.Bulk, "c", CancellationToken.None).AsTask();
        var subOperation = _admission.EnterAsync(ReadClass.Bulk, "dimse:WORKSTATION", CancellationToken.None).AsTask();
        var firstFrame = _admission.EnterAsync(_admission.ClassOfSeriesRead("c", "1.2.3.1"), "c", CancellationToken.None).AsTask();

        b!.Dispose();
        var granted = await firstFrame.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(granted);
        Assert.False(thumbnail.IsCompleted);
        Assert.False(subOperation.IsCompleted);

        // Then the bulk reads, in their turn: c's thumbnail, then the workstation's sub-operation.
        granted!.Dispose();
        using var next = await thumbnail.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(subOperation.IsCompleted);
    }

    [Fact]
    public async Task Searches_and_metadata_go_before_a_readers_first_frame()
    {
        using var a = await _admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
        var b = await _admission.EnterAsync(ReadClass.Bulk, "b", CancellationToken.None);
        var firstFrame = _admission.EnterAsync(ReadClass.Opening, "c", CancellationToken.None).AsTask();
        var metadata = _admission.EnterAsync(ReadClass.Interactive, "d", CancellationToken.None).AsTask();

        b!.Dispose();
        using var granted = await metadata.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(firstFrame.IsCompleted);
    }

    [Fact]
    public void The_first_frame_of_a_series_opens_it_until_the_reader_has_asked_for_none_of_it_for_the_window()
    {
        Assert.Equal(ReadClass.Opening, _admission.ClassOfSeriesRead("a", "1.2.3.1"));
        Assert.Equal(ReadClass.Bulk, _admission.ClassOfSeriesRead("a", "1.2.3.1"));
        // Another reader of the same series, and the same reader's next series, open theirs.
        Assert.Equal(ReadClass.Opening, _admission.ClassOfSeriesRead("b", "1.2.3.1"));
        Assert.Equal(ReadClass.Opening, _admission.ClassOfSeriesRead("a", "1.2.3.2"));

        // Each frame keeps the series open: a stack loaded over more than the window stays bulk.
        _clock.Advance(ReadAdmission.OpeningWindow - TimeSpan.FromSeconds(1));
        Assert.Equal(ReadClass.Bulk, _admission.ClassOfSeriesRead("a", "1.2.3.1"));
        _clock.Advance(ReadAdmission.OpeningWindow - TimeSpan.FromSeconds(1));
        Assert.Equal(ReadClass.Bulk, _admission.ClassOfSeriesRead("a", "1.2.3.1"));

        // A reader back after the window opens the series again.
        _clock.Advance(ReadAdmission.OpeningWindow);
        Assert.Equal(ReadClass.Opening, _admission.ClassOfSeriesRead("a", "1.2.3.1"));
    }

    [Fact]
    public void The_series_remembered_are_bounded()
    {
        for (var i = 0; i < ReadAdmission.OpenSeriesLimit; i++)
        {
            Assert.Equal(ReadClass.Opening, _admission.ClassOfSeriesRead("a", $"1.2.{i}"));
        }

        Assert.Equal(ReadAdmission.OpenSeriesLimit, _admission.OpenSeriesRemembered);

        // Full, none expired: all are forgotten and the new one remembered.
        Assert.Equal(ReadClass.Opening, _admission.ClassOfSeriesRead("a", "1.3"));
        Assert.Equal(1, _admission.OpenSeriesRemembered);
        Assert.Equal(ReadClass.Bulk, _admission.ClassOfSeriesRead("a", "1.3"));

        // Full again with all but one expired: the expired ones go, the open one stays open.
        for (var i = 1; i < ReadAdmission.OpenSeriesLimit; i++)
        {
            _admission.ClassOfSeriesRead("b", $"1.2.{i}");
        }

        _clock.Advance(ReadAdmission.OpeningWindow - TimeSpan.FromSeconds(1));
        Assert.Equal(ReadClass.Bulk, _admission.ClassOfSeriesRead("a", "1.3")); // still open, and kept open
        Assert.Equal(ReadAdmission.OpenSeriesLimit, _admission.OpenSeriesRemembered);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ReadClass.Opening, _admission.ClassOfSeriesRead("c", "1.4"));
        Assert.Equal(2, _admission.OpenSeriesRemembered);
        Assert.Equal(ReadClass.Bulk, _admission.ClassOfSeriesRead("a", "1.3"));
    }

    [Fact]
    public async Task While_the_gateway_ingests_bulk_reads_pause_for_their_share_and_the_others_go_meanwhile()
    {
        using var admission = Create(new DicomWebOptions { ReadConcurrency = 2, ReadConcurrencyDuringIngest = 1, ReadBulkShareDuringIngest = 0.5 });
        _ingest.Mark();
        var frame = await admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
        _clock.Advance(TimeSpan.FromMilliseconds(20));
        frame!.Dispose(); // held its slot 20 ms: at a share of 0.5 bulk reads wait 20 ms more

        var nextFrame = admission.EnterAsync(ReadClass.Bulk, "b", CancellationToken.None).AsTask();
        using (var opened = await admission.EnterAsync(ReadClass.Opening, "c", CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)))
        {
            Assert.NotNull(opened);
            Assert.False(nextFrame.IsCompleted);
        }

        using (var search = await admission.EnterAsync(ReadClass.Interactive, "d", CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)))
        {
            Assert.NotNull(search);
        }

        await Task.Delay(300); // the sweep and the resume timer run: the pause is not over
        Assert.False(nextFrame.IsCompleted);

        _clock.Advance(TimeSpan.FromMilliseconds(20));
        using var granted = await nextFrame.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(granted);
    }

    [Fact]
    public async Task Bulk_reads_do_not_pause_when_the_gateway_does_not_ingest()
    {
        using var admission = Create(new DicomWebOptions { ReadConcurrency = 1, ReadBulkShareDuringIngest = 0.1 });
        var frame = await admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        frame!.Dispose();

        var next = admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
        Assert.True(next.IsCompletedSuccessfully);
        (await next)!.Dispose();
    }

    [Fact]
    public async Task A_pause_that_ends_while_the_dispatcher_is_off_its_core_resumes_the_bulk_reads()
    {
        // The dispatcher reads the clock under its lock, then again to set the resume timer. A gateway on busy cores
        // once lost its core in between, past the pause's end, and the timer refused the negative due time (the
        // process ended). Here every clock reading advances by a step: at 8 or 9 ms the pause ends between the two.
        for (var stepMs = 1; stepMs <= 30; stepMs++)
        {
            var clock = new ManualClock();
            var ingest = new IngestActivity(clock);
            using var admission = new ReadAdmission(Options.Create(new DicomWebOptions
            {
                ReadConcurrency = 2, ReadConcurrencyDuringIngest = 1, ReadBulkShareDuringIngest = 0.5,
            }), ingest, clock);
            ingest.Mark();
            var frame = await admission.EnterAsync(ReadClass.Bulk, "a", CancellationToken.None);
            clock.Advance(TimeSpan.FromMilliseconds(20));
            frame!.Dispose(); // held 20 ms: bulk reads pause 20 ms

            clock.Step = TimeSpan.FromMilliseconds(stepMs);
            var next = admission.EnterAsync(ReadClass.Bulk, "b", CancellationToken.None).AsTask();
            clock.Step = TimeSpan.Zero;
            clock.Advance(TimeSpan.FromMilliseconds(30));
            using var granted = await next.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.NotNull(granted);
        }
    }

    private ReadAdmission Create(DicomWebOptions options) => new(Options.Create(options), _ingest, _clock);

    private sealed class ManualClock : TimeProvider
    {
        private long _now = 1_000_000_000;

        private long _step;

        /// <summary>How far each reading of the clock moves it first (0: it stands still between Advance calls).</summary>
        public TimeSpan Step
        {
            set => Interlocked.Exchange(ref _step, (long)(value.TotalSeconds * TimestampFrequency));
        }

        public override long GetTimestamp() => Interlocked.Add(ref _now, Interlocked.Read(ref _step));

        public void Advance(TimeSpan by) => Interlocked.Add(ref _now, (long)(by.TotalSeconds * TimestampFrequency));
    }
}
