using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Pacs.EndToEnd.Tests;

/// <summary>One reader request as the reader saw it: what, through which gateway, when, how long, and how it ended.</summary>
public sealed record ReaderRequest(int Reader, int Gateway, string Kind, DateTime StartedUtc, TimeSpan Duration, int? Status, string? Error, bool RetryAfter)
{
    public DateTime EndedUtc => StartedUtc + Duration;

    /// <summary>200/204/304 (no match is an answer too).</summary>
    public bool IsSuccess => Status is 200 or 204 or 304;
}

/// <summary>
/// Readers like a radiologist's viewer, spread over the gateways: each asks in a loop for a series' metadata, its
/// study's metadata and a QIDO search of the study, over the studies it is given (the failover issue's workload).
/// Every request is recorded; a request that takes longer than <see cref="RequestTimeout"/> counts as failed.
/// </summary>
public sealed class ClusterReaders
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly int[] _httpPorts;
    private readonly IReadOnlyList<(string Study, string Series)> _series;
    private readonly ConcurrentQueue<ReaderRequest> _requests = new();
    private readonly CancellationTokenSource _stop = new();
    private Task[] _readers = [];

    public ClusterReaders(int[] httpPorts, IEnumerable<(string Study, string Series)> series, int readers = 8)
    {
        _httpPorts = httpPorts;
        _series = series.Distinct().ToList();
        Readers = readers;
    }

    public int Readers { get; }

    public IReadOnlyCollection<ReaderRequest> Requests => _requests;

    public void Start()
    {
        _readers = Enumerable.Range(0, Readers).Select(r => Task.Run(() => ReadAsync(r, _stop.Token))).ToArray();
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_readers);
    }

    public IReadOnlyList<ReaderRequest> Since(DateTime utc) => _requests.Where(r => r.EndedUtc >= utc).ToList();

    /// <summary>The longest time, from <paramref name="from"/> on, in which no reader request completed on any gateway.</summary>
    public TimeSpan LongestStall(DateTime from, DateTime to)
    {
        var ends = _requests.Where(r => r.IsSuccess && r.EndedUtc >= from && r.EndedUtc <= to).Select(r => r.EndedUtc).Order().ToList();
        var longest = TimeSpan.Zero;
        var previous = from;
        foreach (var end in ends.Append(to))
        {
            if (end - previous > longest)
            {
                longest = end - previous;
            }

            previous = end;
        }
        return longest;
    }

    public static string Summary(IReadOnlyCollection<ReaderRequest> requests)
    {
        if (requests.Count == 0)
        {
            return "no reader requests";
        }

        var durations = requests.Select(r => r.Duration.TotalMilliseconds).Order().ToList();
        double Percentile(double p) => durations[Math.Min(durations.Count - 1, (int)(p * durations.Count))];
        var failures = requests.Where(r => !r.IsSuccess).GroupBy(r => r.Status is { } s ? s.ToString(CultureInfo.InvariantCulture) : r.Error!.Split(':')[0]);
        return string.Create(CultureInfo.InvariantCulture,
            $"{requests.Count} reader requests, p50 {Percentile(0.5):0} ms, p99 {Percentile(0.99):0} ms, max {durations[^1]:0} ms; failures: {requests.Count(r => !r.IsSuccess)}")
            + string.Concat(failures.Select(g => $" [{g.Key} x{g.Count()}]"));
    }

    private async Task ReadAsync(int reader, CancellationToken cancellationToken)
    {
        var gateway = reader % _httpPorts.Length;
        // Logged in as the first-run admin of the cluster fixture (issue 12: no anonymous reads).
        var baseUrl = $"http://127.0.0.1:{_httpPorts[gateway]}";
        using var http = new HttpClient(new AuthenticatingHandler(() => baseUrl, "admin", ClusterFixture.AdminPassword))
        {
            Timeout = RequestTimeout,
            BaseAddress = new Uri(baseUrl + "/dicom-web/"),
        };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/dicom+json"));
        var random = new Random(reader);
        while (!cancellationToken.IsCancellationRequested)
        {
            var (study, series) = _series[random.Next(_series.Count)];
            await GetAsync(http, reader, gateway, "series-metadata", $"studies/{study}/series/{series}/metadata", cancellationToken);
            await GetAsync(http, reader, gateway, "study-metadata", $"studies/{study}/metadata", cancellationToken);
            await GetAsync(http, reader, gateway, "qido", $"studies?StudyInstanceUID={study}", cancellationToken);
        }
    }

    private async Task GetAsync(HttpClient http, int reader, int gateway, string kind, string path, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        var started = DateTime.UtcNow;
        var watch = Stopwatch.StartNew();
        try
        {
            // Not the stop token: a request under way when the drill ends is measured to its end.
            using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead, CancellationToken.None);
            _requests.Enqueue(new ReaderRequest(reader, gateway, kind, started, watch.Elapsed, (int)response.StatusCode, null, response.Headers.RetryAfter is not null));
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                // As a viewer would: wait as the server asks before the next request.
                await Task.Delay(TimeSpan.FromMilliseconds(250), CancellationToken.None);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            _requests.Enqueue(new ReaderRequest(reader, gateway, kind, started, watch.Elapsed, null, $"{e.GetType().Name}: {e.Message}", false));
        }
    }
}
