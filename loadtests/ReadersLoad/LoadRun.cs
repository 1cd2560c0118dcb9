using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Pacs.Loadtests.ReadersLoad;

/// <summary>What a run is asked to do.</summary>
internal sealed record LoadSettings(
    IReadOnlyList<Uri> Bases,
    int Readers,
    TimeSpan Duration,
    int? StudiesPerReader,
    TimeSpan Pause,
    TimeSpan Ramp,
    int MaxConnectionsPerHost,
    TimeSpan RequestTimeout);

/// <summary>
/// One study as one reader saw it: from its first request (the study list) to its first frame and to the last frame of
/// the first series. Complete: every request of it ended (with an answer or an error; errors are counted apart), none
/// was cut by the end of the run.
/// </summary>
internal sealed record StudyOutcome(int Reader, int Gateway, string StudyInstanceUid, double? FirstImageMs, double? FirstSeriesMs, double TotalMs, bool Complete);

/// <summary>One request's outcome (no body kept): kind, milliseconds, bytes read, and the error's name when it failed.</summary>
internal readonly record struct RequestOutcome(RequestKind Kind, double Milliseconds, long Bytes, string? Error);

/// <summary>
/// Readers replaying the recorded viewer session, each a browser of its own: its own HTTP/1.1 connections (at most
/// <see cref="LoadSettings.MaxConnectionsPerHost"/>, the browser's per-host limit), requests issued in the recorded
/// order as connections free up, each waiting for what the viewer needs first (series after the study list, metadata
/// after the series query, a series' frames after its metadata, what followed the reader's click after all before it),
/// a pause between studies, readers spread round-robin over the gateways and started spread over the ramp.
/// </summary>
internal sealed class LoadRun(LoadSettings settings, IReadOnlyList<CatalogueStudy> studies, IReadOnlyList<IReadOnlyList<PlannedRequest>> plans, Func<int, TokenSource> tokens) // tokens: by reader
{
    private readonly ConcurrentQueue<StudyOutcome> _studies = new();
    private readonly ConcurrentQueue<RequestOutcome> _requests = new();
    private long _lastEnd;
    private long _deadline;
    private volatile bool _stopped;

    public IReadOnlyCollection<StudyOutcome> Studies => _studies;
    public IReadOnlyCollection<RequestOutcome> Requests => _requests;

    /// <summary>Wall time from the start of the run to the end of its last request.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>
    /// How long readers started studies: <see cref="LoadSettings.Duration"/>, or less when <c>stopStarting</c> fired
    /// first or the last request ended before it (with --studies-per-reader: until the last reader was done).
    /// </summary>
    public TimeSpan Window { get; private set; }

    /// <summary>
    /// Replays until the duration is over or <paramref name="stopStarting"/> fires (the load script's signal that the
    /// traffic it measures against has ended), whichever comes first; studies under way then may finish for 60 s.
    /// </summary>
    public async Task RunAsync(CancellationToken stopStarting, CancellationToken cancellationToken)
    {
        if (studies.Count == 0)
        {
            throw new InvalidOperationException("no study to read");
        }

        var started = Stopwatch.GetTimestamp();
        // Readers stop starting studies at the deadline; a study under way then is let finish for up to a minute.
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(settings.Duration + TimeSpan.FromSeconds(60));
        Interlocked.Exchange(ref _deadline, started + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency));
        using var stopRegistration = stopStarting.Register(() =>
        {
            var now = Stopwatch.GetTimestamp();
            if (_stopped || (settings.StudiesPerReader is null && now >= Interlocked.Read(ref _deadline)))
            {
                return;
            }

            Interlocked.Exchange(ref _deadline, now);
            _stopped = true;
            hardStop.CancelAfter(TimeSpan.FromSeconds(60));
        });
        var readers = Enumerable.Range(0, settings.Readers).Select(r => Task.Run(async () =>
        {
            var delay = settings.Readers <= 1 ? TimeSpan.Zero : settings.Ramp * r / settings.Readers;
            await Task.Delay(delay, hardStop.Token);
            await ReadAsync(r, hardStop.Token);
        }, CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(readers);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The hard stop: studies still under way are counted incomplete.
        }
        var end = Math.Max(Interlocked.Read(ref _lastEnd), started + 1);
        Elapsed = Stopwatch.GetElapsedTime(started, end);
        Window = settings.StudiesPerReader is not null && !_stopped
            ? Elapsed
            : Stopwatch.GetElapsedTime(started, Math.Min(end, Interlocked.Read(ref _deadline)));
    }

    private bool PastDeadline => _stopped || (settings.StudiesPerReader is null && Stopwatch.GetTimestamp() >= Interlocked.Read(ref _deadline));

    private async Task ReadAsync(int reader, CancellationToken cancellationToken)
    {
        var gateway = reader % settings.Bases.Count;
        var root = settings.Bases[gateway];
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.MaxConnectionsPerHost,
            AutomaticDecompression = DecompressionMethods.All,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, DefaultRequestVersion = HttpVersion.Version11 };
        var tokenSource = tokens(reader);
        for (var n = 0; settings.StudiesPerReader is not { } max || n < max; n++)
        {
            if (PastDeadline)
            {
                break;
            }

            var index = (reader + n) % studies.Count;
            await ReadStudyAsync(reader, gateway, http, root, tokenSource, studies[index], plans[index], cancellationToken);
            if (PastDeadline)
            {
                break;
            }

            await Task.Delay(settings.Pause, cancellationToken);
        }
    }

    private async Task ReadStudyAsync(int reader, int gateway, HttpClient http, Uri root, TokenSource tokenSource, CatalogueStudy study,
        IReadOnlyList<PlannedRequest> plan, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var slots = new SemaphoreSlim(settings.MaxConnectionsPerHost);
        var tasks = new List<Task<bool>>(plan.Count);
        Task<bool>? studyList = null, seriesQuery = null, studyMetadata = null;
        var seriesMetadata = new Dictionary<int, Task<bool>>();
        var firstSeriesFrames = new List<Task<bool>>();
        var clock = new StudyClock();
        var userActed = false;
        var complete = true;
        try
        {
            foreach (var p in plan)
            {
                if (p.AfterUserAction && !userActed)
                {
                    // The reader clicked after looking at what was loaded: everything before has ended.
                    await Task.WhenAll(tasks);
                    userActed = true;
                }
                var dependency = p.Kind switch
                {
                    RequestKind.StudySeries => studyList,
                    RequestKind.StudyMetadata or RequestKind.SeriesMetadata or RequestKind.Thumbnail or RequestKind.Instances => seriesQuery ?? studyList,
                    RequestKind.Frame => (p.Series is { } s ? seriesMetadata.GetValueOrDefault(s) : null) ?? studyMetadata ?? seriesQuery,
                    _ => null,
                };
                if (dependency is not null)
                {
                    await dependency;
                }

                await slots.WaitAsync(cancellationToken);
                var isFirstSeriesFrame = p.Kind == RequestKind.Frame && p.Series == 0;
                var task = SendAsync(http, root, tokenSource, p, slots, onSuccess: isFirstSeriesFrame ? clock.FrameShown : null, cancellationToken);
                tasks.Add(task);
                switch (p.Kind)
                {
                    case RequestKind.StudyList: studyList ??= task; break;
                    case RequestKind.StudySeries: seriesQuery ??= task; break;
                    case RequestKind.StudyMetadata: studyMetadata ??= task; break;
                    case RequestKind.SeriesMetadata when p.Series is { } s: seriesMetadata.TryAdd(s, task); break;
                }
                if (isFirstSeriesFrame)
                {
                    firstSeriesFrames.Add(task);
                }
            }
            await Task.WhenAll(tasks);
        }
        catch (OperationCanceledException)
        {
            complete = false;
        }
        double? firstSeriesMs = null;
        if (complete && firstSeriesFrames.Count > 0 && firstSeriesFrames.All(t => t.IsCompletedSuccessfully && t.Result))
        {
            firstSeriesMs = Stopwatch.GetElapsedTime(start, Interlocked.Read(ref clock.FirstSeriesEnd)).TotalMilliseconds;
        }

        var first = Interlocked.Read(ref clock.FirstImage);
        _studies.Enqueue(new StudyOutcome(reader, gateway, study.StudyInstanceUid,
            first == 0 ? null : Stopwatch.GetElapsedTime(start, first).TotalMilliseconds,
            firstSeriesMs, Stopwatch.GetElapsedTime(start).TotalMilliseconds, complete));
    }

    /// <summary>When the first frame of the first series arrived (the first image shown), and when its last one did.</summary>
    private sealed class StudyClock
    {
        public long FirstImage;
        public long FirstSeriesEnd;

        public void FrameShown()
        {
            var now = Stopwatch.GetTimestamp();
            Interlocked.CompareExchange(ref FirstImage, now, 0);
            InterlockedMax(ref FirstSeriesEnd, now);
        }
    }

    private async Task<bool> SendAsync(HttpClient http, Uri root, TokenSource tokenSource, PlannedRequest p, SemaphoreSlim slots, Action? onSuccess, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var begin = Stopwatch.GetTimestamp();
        long bytes = 0;
        string? error = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.RequestTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, p.Path));
            if (p.Accept is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept", p.Accept);
            }

            request.Headers.Authorization = await tokenSource.HeaderAsync(timeout.Token);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
            try
            {
                int read;
                while ((read = await body.ReadAsync(buffer, timeout.Token)) > 0)
                {
                    bytes += read;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
            var status = (int)response.StatusCode;
            // 204 is a search with no match: an answer, not an error (PS3.18 8.3.3.1).
            if (status is not (200 or 204 or 206))
            {
                error = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (p.Kind == RequestKind.Frame && bytes == 0)
            {
                error = "empty frame";
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            error = "timeout";
        }
        catch (HttpRequestException e)
        {
            error = e.HttpRequestError.ToString();
        }
        catch (IOException)
        {
            error = "connection cut";
        }
        finally
        {
            slots.Release();
        }
        var end = Stopwatch.GetTimestamp();
        InterlockedMax(ref _lastEnd, end);
        _requests.Enqueue(new RequestOutcome(p.Kind, Stopwatch.GetElapsedTime(begin, end).TotalMilliseconds, bytes, error));
        if (error is null)
        {
            onSuccess?.Invoke();
        }

        return error is null;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while ((current = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}
