using System.Globalization;
using System.Text.Json;

namespace Pacs.Loadtests.ReadersLoad;

/// <summary>Latency and errors of one kind of request.</summary>
internal sealed record KindReport(int Count, int Errors, Percentiles.Summary Milliseconds, double Megabytes);

/// <summary>A name's process trees (two gateways are one name): CPU and memory during the run, CPU-seconds per completed reader-study.</summary>
internal sealed record ProcessReport(IReadOnlyList<int> Pids, double CpuSeconds, double PeakRssMb, double? CpuSecondsPerStudy);

/// <summary>
/// What one run measured: the JSON written with --out, and the one-line summary. <see cref="DurationSeconds"/> is the
/// window in which readers started studies: the duration asked for, or less when the run was told to stop or its last
/// request ended before the duration was over (a reader pausing across the end starts no further study).
/// </summary>
internal sealed record RunReport(
    string Label,
    IReadOnlyList<string> Bases,
    int Readers,
    double DurationSeconds,
    double PauseSeconds,
    int CatalogueStudies,
    int CatalogueInstances,
    DateTime StartedUtc,
    double ElapsedSeconds,
    int StudiesCompleted,
    int StudiesIncomplete,
    Percentiles.Summary TimeToFirstImageMs,
    Percentiles.Summary FirstSeriesMs,
    long Frames,
    double FramesPerSecond,
    double Megabytes,
    double MegabytesPerSecond,
    int Errors,
    IReadOnlyDictionary<string, int> ErrorsByKind,
    IReadOnlyDictionary<string, KindReport> RequestsByKind,
    IReadOnlyDictionary<string, ProcessReport> Processes)
{
    public static RunReport From(string label, LoadSettings settings, IReadOnlyList<CatalogueStudy> catalogue, DateTime startedUtc, LoadRun run,
        IReadOnlyDictionary<string, ProcessUsage> usage)
    {
        var studies = run.Studies.ToList();
        var requests = run.Requests.ToList();
        var completed = studies.Count(s => s.Complete);
        var elapsed = Math.Max(run.Elapsed.TotalSeconds, 1e-3);
        var framesOk = requests.Where(r => r.Kind == RequestKind.Frame && r.Error is null).ToList();
        var bytes = requests.Sum(r => r.Bytes);
        return new RunReport(label, settings.Bases.Select(b => b.ToString()).ToList(), settings.Readers, Math.Round(run.Window.TotalSeconds, 2), settings.Pause.TotalSeconds,
            catalogue.Count, catalogue.Sum(s => s.Instances), startedUtc, Math.Round(elapsed, 2), completed, studies.Count - completed,
            Percentiles.Summarize(studies.Where(s => s.FirstImageMs is not null).Select(s => s.FirstImageMs!.Value)),
            Percentiles.Summarize(studies.Where(s => s.FirstSeriesMs is not null).Select(s => s.FirstSeriesMs!.Value)),
            framesOk.Count, Math.Round(framesOk.Count / elapsed, 1),
            Math.Round(bytes / 1e6, 2), Math.Round(bytes / 1e6 / elapsed, 2),
            requests.Count(r => r.Error is not null),
            requests.Where(r => r.Error is not null).GroupBy(r => $"{r.Kind} {r.Error}").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            requests.GroupBy(r => r.Kind).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(), g => new KindReport(g.Count(), g.Count(r => r.Error is not null),
                Percentiles.Summarize(g.Select(r => r.Milliseconds)), Math.Round(g.Sum(r => r.Bytes) / 1e6, 2))),
            usage.ToDictionary(u => u.Key, u => new ProcessReport(u.Value.Pids, u.Value.CpuSeconds, u.Value.PeakRssMb,
                completed == 0 ? null : Math.Round(u.Value.CpuSeconds / completed, 3))));
    }

    public string ToJson() => JsonSerializer.Serialize(this, SessionRecording.Json);

    /// <summary>One line for a person: what ran, how fast the first image came, throughput, errors, CPU.</summary>
    public string SummaryLine()
    {
        static string F(double v) => double.IsNaN(v) ? "-" : v.ToString("0", CultureInfo.InvariantCulture);
        var processes = string.Join(' ', Processes.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value.CpuSeconds:0.0}cpu-s/{p.Value.PeakRssMb:0}MB")));
        return string.Create(CultureInfo.InvariantCulture,
            $"{Label}: readers={Readers} studies={StudiesCompleted}(+{StudiesIncomplete} incomplete) first-image p50/p95/p99={F(TimeToFirstImageMs.P50)}/{F(TimeToFirstImageMs.P95)}/{F(TimeToFirstImageMs.P99)} ms ")
            + string.Create(CultureInfo.InvariantCulture,
            $"first-series p50/p95/p99={F(FirstSeriesMs.P50)}/{F(FirstSeriesMs.P95)}/{F(FirstSeriesMs.P99)} ms frames/s={FramesPerSecond:0.0} MB/s={MegabytesPerSecond:0.0} errors={Errors}")
            + (Errors == 0 ? "" : " (" + string.Join(", ", ErrorsByKind.Select(e => $"{e.Key}: {e.Value}")) + ")")
            + (processes.Length == 0 ? "" : " " + processes);
    }
}
