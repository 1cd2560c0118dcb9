using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

// WADO-RS series metadata latency against a running archive (docs/benchmarks.md, "Series metadata of a
// 500-instance series"), from its own process over one keep-alive connection. Input: the lines gen_series.py
// printed (STUDY<TAB>SERIES<TAB>DIR). The first --jit-series series warm the JIT of gateway and silo; every other
// series is then requested once, cold (nobody has asked for it since the cluster started: the study grain builds it
// from the index, the gateway renders it); then the first cold one is requested --warm times per encoding.
// Client times: TTFB (request sent to response headers) and total (body read); server time: the gateway's
// Server-Timing header. Usage:
//   SeriesMetadataBench --base http://127.0.0.1:28080/dicom-web --series FILE [--warm 300] [--cold-encoding gzip|identity] [--jit-series 3]
var baseUrl = "http://127.0.0.1:28080/dicom-web";
string? seriesFile = null;
var warmCount = 300;
var coldEncoding = "gzip";
var jitSeriesCount = 3;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--base": baseUrl = args[++i].TrimEnd('/'); break;
        case "--series": seriesFile = args[++i]; break;
        case "--warm": warmCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--cold-encoding": coldEncoding = args[++i]; break;
        case "--jit-series": jitSeriesCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (seriesFile is null || coldEncoding is not ("gzip" or "identity"))
{
    Console.Error.WriteLine("usage: SeriesMetadataBench --series FILE [--base URL] [--warm N] [--cold-encoding gzip|identity]");
    return 2;
}
var series = File.ReadAllLines(seriesFile).Where(l => l.Length > 0).Select(l => l.Split('\t')).Select(p => (Study: p[0], Series: p[1])).ToList();
if (series.Count <= jitSeriesCount)
{
    Console.Error.WriteLine($"need more than {jitSeriesCount} series: {jitSeriesCount} to warm the JIT, the others to measure");
    return 2;
}

using var client = new HttpClient(new SocketsHttpHandler
{
    AutomaticDecompression = DecompressionMethods.None, // bytes as they came over the wire: the gateway's work, not ours
    MaxConnectionsPerServer = 1,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    UseProxy = false,
}) { Timeout = TimeSpan.FromSeconds(30) };
var buffer = new byte[16 * 1024 * 1024];

// JIT: the whole path, cold and warm, both encodings, on the first series: the build path runs once per series, so
// several series are built before anything is measured (tiered compilation promotes a method after 30 calls).
foreach (var (jitStudy, jitSeries) in series.Take(jitSeriesCount))
{
    for (var i = 0; i < 40; i++)
    {
        await FetchAsync(jitStudy, jitSeries, gzip: i % 2 == 0, check: i < 2);
    }
}
await Task.Delay(1000); // lets tiered compilation promote what the loops made hot

var cold = new List<Sample>();
foreach (var (study, s) in series.Skip(jitSeriesCount))
{
    var sample = await FetchAsync(study, s, coldEncoding == "gzip", check: true);
    cold.Add(sample);
    Console.WriteLine(FormattableString.Invariant($"cold {coldEncoding,-8} {s}: total {sample.TotalMs,7:F2} ms, ttfb {sample.TtfbMs,7:F2} ms, server [{sample.ServerTiming}], {sample.Bytes} bytes"));
}
Report($"cold, {coldEncoding}", cold);

var (warmStudy, warmSeries) = series[jitSeriesCount];
foreach (var gzip in warmCount > 0 ? new[] { true, false } : [])
{
    for (var i = 0; i < 20; i++)
    {
        await FetchAsync(warmStudy, warmSeries, gzip, check: false);
    }

    var warm = new List<Sample>(warmCount);
    for (var i = 0; i < warmCount; i++)
    {
        warm.Add(await FetchAsync(warmStudy, warmSeries, gzip, check: false));
    }

    Report($"warm, {(gzip ? "gzip" : "identity")}", warm);
}
return 0;

async Task<Sample> FetchAsync(string study, string s, bool gzip, bool check)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, $"{baseUrl}/studies/{study}/series/{s}/metadata");
    request.Headers.Accept.ParseAdd("application/dicom+json");
    if (gzip)
    {
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
    }

    var watch = Stopwatch.StartNew();
    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    var ttfb = watch.Elapsed.TotalMilliseconds;
    await using var body = await response.Content.ReadAsStreamAsync();
    var length = 0;
    int read;
    while ((read = await body.ReadAsync(buffer.AsMemory(length))) > 0)
    {
        length += read;
    }

    var total = watch.Elapsed.TotalMilliseconds;
    if (response.StatusCode != HttpStatusCode.OK)
    {
        throw new InvalidOperationException($"{s}: HTTP {(int)response.StatusCode}");
    }

    var encoded = response.Content.Headers.ContentEncoding.Contains("gzip");
    if (encoded != gzip)
    {
        throw new InvalidOperationException($"{s}: Content-Encoding {string.Join(",", response.Content.Headers.ContentEncoding)}");
    }

    if (check)
    {
        // After the clock: the body is a JSON array with one object per instance.
        var json = buffer.AsMemory(0, length).ToArray();
        if (gzip)
        {
            using var inflate = new GZipStream(new MemoryStream(json), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            inflate.CopyTo(plain);
            json = plain.ToArray();
        }
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.GetArrayLength() == 0)
        {
            throw new InvalidOperationException($"{s}: empty metadata");
        }
    }
    var timing = response.Headers.TryGetValues("Server-Timing", out var values) ? string.Join(", ", values) : "";
    return new Sample(total, ttfb, length, timing, ServerTotal(timing));
}

static double? ServerTotal(string timing)
{
    // "grain;dur=0.41, render;dur=2.1, total;dur=3.02": the gateway's time up to the first byte of the body.
    foreach (var metric in timing.Split(',', StringSplitOptions.TrimEntries))
    {
        var parts = metric.Split(';', StringSplitOptions.TrimEntries);
        if (parts[0] != "total")
        {
            continue;
        }

        foreach (var p in parts.Skip(1))
        {
            if (p.StartsWith("dur=", StringComparison.Ordinal))
            {
                return double.Parse(p.AsSpan(4), CultureInfo.InvariantCulture);
            }
        }
    }
    return null;
}

static void Report(string label, List<Sample> samples)
{
    static string Stats(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return "n/a";
        }

        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * q))];
        return FormattableString.Invariant($"p50 {At(0.5),7:F2}  p95 {At(0.95),7:F2}  min {sorted[0],7:F2}  max {sorted[^1],7:F2}");
    }
    Console.WriteLine(FormattableString.Invariant($"RESULT {label,-15} n={samples.Count,-4} bytes={samples[^1].Bytes}"));
    Console.WriteLine($"  client total ms  {Stats(samples.Select(s => s.TotalMs))}");
    Console.WriteLine($"  client TTFB ms   {Stats(samples.Select(s => s.TtfbMs))}");
    Console.WriteLine($"  server total ms  {Stats(samples.Where(s => s.ServerMs is not null).Select(s => s.ServerMs!.Value))}");
}

internal sealed record Sample(double TotalMs, double TtfbMs, int Bytes, string ServerTiming, double? ServerMs);
