using System.Net.Http.Headers;
using Pacs.Testing;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// A running archive of real processes: a private PostgreSQL, one silo and one gateway (their build output, started
/// with `dotnet`), and a dcmtk storescp as the C-MOVE destination "DEST" registered through configuration.
/// </summary>
public sealed class ArchiveFixture : IAsyncLifetime
{
    public const string AeTitle = "CLINTON";
    public const string DestinationAe = "DEST";
    public const string AdminToken = "e2e-admin-token";
    public const int MaxQidoResults = 50;

    private PostgresServer? _postgres;
    private ChildProcess? _silo;
    private ChildProcess? _gateway;
    private ChildProcess? _storescp;

    public string RepoRoot { get; } = FindRepoRoot();
    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "pacs-e2e-" + Guid.NewGuid().ToString("N")[..8]);
    public string StorageRoot => Path.Combine(WorkDirectory, "blobs");
    public string MoveDestinationDirectory => Path.Combine(WorkDirectory, "dest");
    public string Database { get; private set; } = "";
    public int DicomPort { get; } = ChildProcess.FreePort();
    public int HttpPort { get; } = ChildProcess.FreePort();
    public int DestinationPort { get; } = ChildProcess.FreePort();
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string GatewayLog => _gateway?.Output ?? "";

    /// <summary>The gateway's process id (its memory is read from /proc).</summary>
    public int GatewayProcessId => _gateway?.Id ?? 0;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(StorageRoot);
        Directory.CreateDirectory(MoveDestinationDirectory);
        _postgres = await PostgresServer.StartNewAsync();
        Database = await _postgres.CreateDatabaseAsync("e2e");

        _storescp = new ChildProcess("storescp", ["-aet", DestinationAe, "+xa", "+B", "-od", MoveDestinationDirectory, DestinationPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        var configuration = ConfigurationName();
        var siloHttp = ChildProcess.FreePort();
        _silo = new ChildProcess("dotnet", [Path.Combine(RepoRoot, "Silo", "bin", configuration, "net10.0", "Pacs.Silo.dll"),
            "--database", Database, "--silo-name", "e2e-silo", "--silo-port", ChildProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", ChildProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-port", siloHttp.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await WaitReadyAsync(_silo, $"http://127.0.0.1:{siloHttp}/health/ready", "silo");

        _gateway = new ChildProcess("dotnet", [Path.Combine(RepoRoot, "Gateway", "bin", configuration, "net10.0", "Pacs.Gateway.dll"),
            "--urls", $"http://127.0.0.1:{HttpPort}",
            "--Pacs:Database", Database,
            "--Pacs:DicomPort", DicomPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Pacs:AeTitle", AeTitle,
            "--Pacs:StorageRoot", StorageRoot,
            "--Pacs:Nodes:0:AeTitle", DestinationAe,
            "--Pacs:Nodes:0:Host", "127.0.0.1",
            "--Pacs:Nodes:0:Port", DestinationPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Pacs:AdminToken", AdminToken,
            // Small enough that the DICOMweb tests see QIDO truncation and its Warning header.
            "--Pacs:DicomWeb:MaxQidoResults", MaxQidoResults.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await WaitReadyAsync(_gateway, $"http://127.0.0.1:{HttpPort}/health/ready", "gateway");
    }

    private async Task WaitReadyAsync(ChildProcess process, string url, string name)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{name} exited with {process.ExitCode}:\n{process.Output}");
            try
            {
                using var response = await Http.GetAsync(url);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(500);
        }
        throw new TimeoutException($"{name} not ready within 120 s:\n{process.Output}");
    }

    public HttpRequestMessage AdminRequest(HttpMethod method, string path, string? token = AdminToken)
    {
        var request = new HttpRequestMessage(method, $"http://127.0.0.1:{HttpPort}{path}");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public async Task DisposeAsync()
    {
        _gateway?.Dispose();
        _silo?.Dispose();
        _storescp?.Dispose();
        Http.Dispose();
        if (_postgres is not null) await _postgres.DisposeAsync();
        try { Directory.Delete(WorkDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }

    // tests/EndToEnd.Tests/bin/<Configuration>/net10.0/: the silo and gateway were built in the same configuration.
    private static string ConfigurationName() => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
}

/// <summary>The DICOMweb tests get an archive of their own: they store and delete data the DIMSE tests would count.</summary>
[CollectionDefinition(Name)]
public sealed class DicomWebArchiveCollection : ICollectionFixture<ArchiveFixture>
{
    public const string Name = "dicomweb-archive";
}

[CollectionDefinition(Name)]
public sealed class ArchiveCollection : ICollectionFixture<ArchiveFixture>
{
    public const string Name = "archive";
}
