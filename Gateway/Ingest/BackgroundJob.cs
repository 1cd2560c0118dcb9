using System.Diagnostics;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// A long administrative job of this gateway (the index rebuild, a bulk import): one run at a time, its state (idle,
/// running, done, stopped, failed), its clock, and its rate and ETA from the caller's counts. The run stops with the
/// gateway (ApplicationStopping); the job's own checkpoint makes the next run resume, which every message says
/// (<c>resume</c>: how, as the end of a sentence, e.g. "run the import again to resume.").
/// </summary>
internal sealed partial class BackgroundJob(string name, string resume, IHostApplicationLifetime lifetime, ILogger logger)
{
    private readonly Lock _lock = new();
    private readonly Stopwatch _clock = new();
    private Task _run = Task.CompletedTask;
    private string _state = "idle";
    private string? _error;
    private DateTimeOffset? _startedAt;

    /// <summary>The running (or last) run; completes when it ends.</summary>
    public Task Completion => _run;

    /// <summary>
    /// Starts <paramref name="body"/> unless a run is going on. <paramref name="reset"/> clears the caller's counts first,
    /// under the job's lock (so that no progress mixes two runs). <paramref name="expected"/> tells the failures the job
    /// reports with their own message (storage, database, cluster) from the unexpected ones (logged, a generic message).
    /// </summary>
    public bool TryStart(Action reset, Func<CancellationToken, Task> body, Func<Exception, bool> expected)
    {
        lock (_lock)
        {
            if (!_run.IsCompleted)
            {
                return false;
            }

            reset();
            _state = "running";
            _error = null;
            _startedAt = DateTimeOffset.UtcNow;
            _clock.Restart();
            var stopping = lifetime.ApplicationStopping;
            _run = Task.Run(() => RunAsync(body, expected, stopping), CancellationToken.None);
            return true;
        }
    }

    /// <summary>Where the run stands, with <paramref name="done"/> items finished and <paramref name="left"/> to go.</summary>
    public JobStatus Status(long done, long left)
    {
        lock (_lock)
        {
            var elapsed = _clock.Elapsed.TotalSeconds;
            var rate = elapsed > 0 ? done / elapsed : 0;
            return new JobStatus(_state, Math.Round(elapsed, 1), Math.Round(rate, 1),
                rate > 0 && _state == "running" ? Math.Round(Math.Max(0, left) / rate, 0) : null, _startedAt, _error);
        }
    }

    /// <summary>Seconds since the run started (to its end once it ended).</summary>
    public double ElapsedSeconds
    {
        get
        {
            lock (_lock)
            {
                return _clock.Elapsed.TotalSeconds;
            }
        }
    }

    private async Task RunAsync(Func<CancellationToken, Task> body, Func<Exception, bool> expected, CancellationToken cancellationToken)
    {
        try
        {
            await body(cancellationToken).ConfigureAwait(false);
            Finish("done", null);
        }
        catch (OperationCanceledException)
        {
            Finish("stopped", $"The gateway is stopping; {resume}");
        }
        catch (Exception e) when (expected(e))
        {
            LogFailed(logger, e, name);
            Finish("failed", $"{e.Message} {Sentence(resume)}");
        }
        finally
        {
            if (_state == "running")
            {
                // An exception none of the above expected: the task faults, and the progress says so.
                Finish("failed", $"Stopped by an unexpected error (see the gateway's log). {Sentence(resume)}");
            }
        }
    }

    private static string Sentence(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private void Finish(string state, string? error)
    {
        lock (_lock)
        {
            _clock.Stop();
            _state = state;
            _error = error;
        }
    }

    [LoggerMessage(EventId = 3220, Level = LogLevel.Warning, Message = "{Job} stopped; run it again to resume")]
    private static partial void LogFailed(ILogger logger, Exception exception, string job);
}
