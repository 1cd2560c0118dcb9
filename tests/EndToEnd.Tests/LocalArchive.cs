using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// A silo and a gateway (their build output, started with <c>dotnet</c>) on a given database and blob folder, that a
/// test can kill and start again on the same data (the restore drill, the index rebuild); and <c>./pacs</c> runs.
/// </summary>
internal sealed record LocalArchive(HttpClient Http, int HttpPort, int DicomPort, ChildProcess[] Processes)
{
    public const string AdminPassword = "Local-Admin-Passw0rd";

    public string BaseUrl => $"http://127.0.0.1:{HttpPort.ToString(CultureInfo.InvariantCulture)}";

    public static string Connection(int port) => $"Host=127.0.0.1;Port={port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=pacs;Timeout=10";

    /// <summary>Starts a silo and a gateway and waits until both are ready; <paramref name="started"/> gets them for disposal.</summary>
    public static async Task<LocalArchive> StartAsync(string database, string blobs, string signingKey, List<ChildProcess> started)
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var root = RepoRoot();
        // No management (metrics) ports: another cluster on this machine may hold the defaults. Five different free ports: two FreePort calls can hand out the same one (a gateway once bound the silo's).
        var ports = new HashSet<int>();
        while (ports.Count < 5)
        {
            ports.Add(ChildProcess.FreePort());
        }

        var (siloHttp, http, dicom, siloPort, siloGateway) = (ports.ElementAt(0), ports.ElementAt(1), ports.ElementAt(2), ports.ElementAt(3), ports.ElementAt(4));
        var silo = new ChildProcess("dotnet", [Path.Combine(root, "Silo", "bin", bin, "net10.0", "Pacs.Silo.dll"),
            "--database", database, "--silo-name", "local-silo", "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture),
            "--gateway-port", siloGateway.ToString(CultureInfo.InvariantCulture), "--http-port", siloHttp.ToString(CultureInfo.InvariantCulture),
            "--Pacs:Telemetry:MetricsPort", "0"],
            environment: new Dictionary<string, string> { ["PACS_ADMIN_PASSWORD"] = AdminPassword });
        started.Add(silo);
        var gateway = new ChildProcess("dotnet", [Path.Combine(root, "Gateway", "bin", bin, "net10.0", "Pacs.Gateway.dll"),
            "--urls", $"http://127.0.0.1:{http.ToString(CultureInfo.InvariantCulture)}",
            "--Pacs:Database", database,
            "--Pacs:DicomPort", dicom.ToString(CultureInfo.InvariantCulture),
            "--Pacs:AeTitle", ClusterFixture.AeTitle,
            "--Pacs:StorageRoot", blobs,
            "--Pacs:Auth:LoginAttemptsPerAddressPerMinute", "100000",
            "--Pacs:Telemetry:MetricsPort", "0"],
            environment: new Dictionary<string, string> { ["Pacs__Auth__SigningKey"] = signingKey });
        started.Add(gateway);
        var client = new HttpClient(new AuthenticatingHandler(() => $"http://127.0.0.1:{http.ToString(CultureInfo.InvariantCulture)}", "admin", AdminPassword)) { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var (process, url) in new[] { (silo, $"http://127.0.0.1:{siloHttp.ToString(CultureInfo.InvariantCulture)}/health/ready"), (gateway, $"http://127.0.0.1:{http.ToString(CultureInfo.InvariantCulture)}/health/ready") })
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"exited with {process.ExitCode}:\n{process.Output}");
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"not ready within 120 s:\n{process.Output}");
                }

                try
                {
                    using var response = await client.GetAsync(url);
                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
                await Task.Delay(250);
            }
        }
        return new LocalArchive(client, http, dicom, [gateway, silo]);
    }

    /// <summary>The values of one attribute (SOP Instance UID unless told) in a QIDO-RS answer.</summary>
    public async Task<List<string>> QidoAsync(string path, string tag = "00080018")
    {
        using var response = await Http.GetAsync(BaseUrl + path);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return [];
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.EnumerateArray().Select(e => e.GetProperty(tag).GetProperty("Value")[0].GetString()!).ToList();
    }

    /// <summary>Runs <c>./pacs</c> with <paramref name="arguments"/> (and extra environment variables), logging what it printed.</summary>
    public static async Task<(int ExitCode, string Output)> PacsAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        using var process = new ChildProcess("bash", [Path.Combine(RepoRoot(), "pacs"), .. arguments], environment: environment);
        var code = await process.WaitAsync(TimeSpan.FromSeconds(300));
        output.WriteLine($"$ ./pacs {string.Join(' ', arguments)}\n{process.Output}");
        return (code, process.Output);
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }
}
