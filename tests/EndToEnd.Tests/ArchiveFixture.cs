using System.Text.Json;
using System.Net.Http.Json;
using System.Net;
using System.Net.Http.Headers;
using Pacs.Testing;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// A running archive of real processes: a private PostgreSQL, one silo and one gateway (their build output, started
/// with `dotnet`), and a dcmtk storescp as the C-MOVE destination "DEST" registered through configuration.
/// </summary>
public class ArchiveFixture : IAsyncLifetime
{
    public const string AeTitle = "CLINTON";
    public const string DestinationAe = "DEST";
    /// <summary>The first-run admin's password (PACS_ADMIN_PASSWORD of the silo): <see cref="Http"/> logs in with it.</summary>
    public const string AdminPassword = "E2e-Admin-Passw0rd";
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
    /// <summary>The management ports serving Prometheus' /metrics (never the public HTTP port).</summary>
    public int GatewayMetricsPort { get; } = ChildProcess.FreePort();
    public int SiloMetricsPort { get; } = ChildProcess.FreePort();
    /// <summary>Logged in as the admin (bearer token, renewed as needed): what tests use unless they test authentication.</summary>
    public HttpClient Http { get; }

    /// <summary>No credentials at all.</summary>
    public HttpClient Anonymous { get; } = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The gateways' token signing key (random per fixture), as ./pacs up hands it over: in the environment.</summary>
    public string SigningKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));

    public string BaseUrl => $"http://127.0.0.1:{HttpPort}";

    /// <summary>The subject CN of the report signing certificate every gateway of this archive signs report PDFs with.</summary>
    public const string ReportSigningName = "Clinton PACS e2e report signing";

    /// <summary>Its PEM files (self-signed, made per fixture as ./pacs up makes one).</summary>
    public string ReportSigningCertificate => Path.Combine(WorkDirectory, "report-signing", "cert.pem");

    public string ReportSigningKey => Path.Combine(WorkDirectory, "report-signing", "key.pem");

    public ArchiveFixture()
    {
        Http = new HttpClient(new AuthenticatingHandler(() => BaseUrl, "admin", AdminPassword)) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public string GatewayLog => _gateway?.Output ?? "";

    /// <summary>The gateway's process id (its memory is read from /proc).</summary>
    public int GatewayProcessId => _gateway?.Id ?? 0;

    public virtual async Task InitializeAsync()
    {
        Directory.CreateDirectory(StorageRoot);
        Directory.CreateDirectory(MoveDestinationDirectory);
        WriteReportSigningCertificate();
        _postgres = await PostgresServer.StartNewAsync();
        Database = await _postgres.CreateDatabaseAsync("e2e");

        _storescp = new ChildProcess("storescp", ["-aet", DestinationAe, "+xa", "+B", "-od", MoveDestinationDirectory, DestinationPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        var configuration = ConfigurationName();
        var siloHttp = ChildProcess.FreePort();
        _silo = new ChildProcess("dotnet", [Path.Combine(RepoRoot, "Silo", "bin", configuration, "net10.0", "Pacs.Silo.dll"),
            "--database", Database, "--silo-name", "e2e-silo", "--silo-port", ChildProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", ChildProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-port", siloHttp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Pacs:Telemetry:MetricsPort", SiloMetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--Pacs:Telemetry:MetricsBindAddress", "127.0.0.1",
            .. ExtraSiloArguments()],
            environment: new Dictionary<string, string> { ["PACS_ADMIN_PASSWORD"] = AdminPassword });
        // The gateway starts beside the silo, as ./pacs up starts them: it retries the cluster until the silo is up
        // (ClusterDrillTests tests that), and the two start-ups overlap instead of following each other.
        _gateway = StartGateway(HttpPort, DicomPort, GatewayMetricsPort, new Dictionary<string, string>(), GatewayUrls, ExtraGatewayArguments());
        await WaitReadyAsync(_silo, $"http://127.0.0.1:{siloHttp}/health/ready", "silo");
        await WaitReadyAsync(_gateway, $"http://127.0.0.1:{HttpPort}/health/ready", "gateway");
    }

    /// <summary>
    /// A gateway process on this archive (its silo, database, blob store and signing key), with extra environment
    /// variables: the fixture's own, or another one a test starts beside it and disposes itself.
    /// </summary>
    public ChildProcess StartGateway(int httpPort, int dicomPort, int metricsPort, IReadOnlyDictionary<string, string> environment,
        string? urls = null, IEnumerable<string>? extraArguments = null)
    {
        var env = new Dictionary<string, string>(environment) { ["Pacs__Auth__SigningKey"] = SigningKey };
        return new ChildProcess("dotnet", [Path.Combine(RepoRoot, "Gateway", "bin", ConfigurationName(), "net10.0", "Pacs.Gateway.dll"),
            "--urls", urls ?? $"http://127.0.0.1:{httpPort}",
            "--Pacs:Database", Database,
            "--Pacs:DicomPort", dicomPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Pacs:Telemetry:MetricsPort", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Pacs:Telemetry:MetricsBindAddress", "127.0.0.1",
            "--Pacs:AeTitle", AeTitle,
            "--Pacs:StorageRoot", StorageRoot,
            "--Pacs:Nodes:0:AeTitle", DestinationAe,
            "--Pacs:Nodes:0:Host", "127.0.0.1",
            "--Pacs:Nodes:0:Port", DestinationPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The tests log in often from one address; the per-account limit stays at its default (AuthenticationTests).
            "--Pacs:Auth:LoginAttemptsPerAddressPerMinute", "100000",
            // Small enough that the DICOMweb tests see QIDO truncation and its Warning header.
            "--Pacs:DicomWeb:MaxQidoResults", MaxQidoResults.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Read admission (ReadAdmissionEndToEndTests test it on gateways of their own): the tests store and read at
            // once, and on a 2-core CI machine the default would run one read at a time for a second after every store.
            "--Pacs:DicomWeb:ReadConcurrencyDuringIngest", "8",
            "--Pacs:Reports:Signing:CertificatePath", ReportSigningCertificate,
            "--Pacs:Reports:Signing:KeyPath", ReportSigningKey,
            .. extraArguments ?? []],
            environment: env);
    }

    /// <summary>The gateway's --urls; the plain HTTP URL on <see cref="HttpPort"/> must be among them.</summary>
    protected virtual string GatewayUrls => $"http://127.0.0.1:{HttpPort}";

    /// <summary>More gateway arguments of a fixture that needs another configuration (TLS, host names).</summary>
    protected virtual IEnumerable<string> ExtraGatewayArguments() => [];

    /// <summary>More silo arguments of a fixture that needs another configuration (the Orleans dashboard).</summary>
    protected virtual IEnumerable<string> ExtraSiloArguments() => [];

    /// <summary>
    /// Another gateway of this archive (same database, silo and blob store; AE title <see cref="AeTitle"/>) on ports
    /// of its own, with <paramref name="arguments"/> appended to its command line: for settings the shared gateway
    /// must not have. The caller disposes it.
    /// </summary>
    public async Task<ExtraGateway> StartGatewayAsync(params string[] arguments)
    {
        var dicomPort = ChildProcess.FreePort();
        var httpPort = ChildProcess.FreePort();
        var process = new ChildProcess("dotnet", [Path.Combine(RepoRoot, "Gateway", "bin", ConfigurationName(), "net10.0", "Pacs.Gateway.dll"),
            "--urls", $"http://127.0.0.1:{httpPort}",
            "--Pacs:Database", Database,
            "--Pacs:DicomPort", dicomPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Pacs:AeTitle", AeTitle,
            "--Pacs:StorageRoot", StorageRoot,
            "--Pacs:Telemetry:MetricsPort", "0",
            "--Pacs:Reports:Signing:CertificatePath", ReportSigningCertificate,
            "--Pacs:Reports:Signing:KeyPath", ReportSigningKey,
            .. arguments],
            environment: new Dictionary<string, string> { ["Pacs__Auth__SigningKey"] = SigningKey });
        try
        {
            await WaitReadyAsync(process, $"http://127.0.0.1:{httpPort}/health/ready", "extra gateway");
        }
        catch
        {
            process.Dispose();
            throw;
        }
        return new ExtraGateway(process, dicomPort, httpPort);
    }

    public async Task WaitReadyAsync(ChildProcess process, string url, string name)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {process.ExitCode}:\n{process.Output}");
            }

            try
            {
                using var response = await Http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{name} not ready within 120 s:\n{process.Output}");
    }

    /// <summary>Writes the instances as files into <paramref name="folder"/> and sends them with dcmtk's storescu (one association).</summary>
    /// <param name="options">More storescu options, e.g. <c>-xt</c> to propose JPEG-LS lossless for a compressed file.</param>
    public async Task StoreScuAsync(string folder, IEnumerable<Pacs.Dicom.DicomFile> instances, params string[] options)
    {
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        foreach (var instance in instances)
        {
            var path = Path.Combine(folder, instance.Dataset.GetString(Pacs.Dicom.DicomTag.SOPInstanceUID) + ".dcm");
            await File.WriteAllBytesAsync(path, instance.ToBytes());
            files.Add(path);
        }
        var (code, output) = await ChildProcess.RunAsync("storescu",
            ["-nh", .. options, "-aec", AeTitle, "127.0.0.1", DicomPort.ToString(System.Globalization.CultureInfo.InvariantCulture), .. files], 120);
        Assert.True(code == 0, "storescu failed:\n" + output);
    }

    /// <summary>A request to this gateway; with a token it carries that one instead of the admin's.</summary>
    public HttpRequestMessage Request(HttpMethod method, string path, string? token = null)
    {
        var request = new HttpRequestMessage(method, $"{BaseUrl}{path}");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    /// <summary>
    /// Sends a request with <paramref name="token"/>, <paramref name="json"/> as its body and <paramref name="ifMatch"/>
    /// when given; returns the status, the JSON object answered (default when the body is not one) and the ETag. With
    /// <paramref name="problemDetailsOnError"/>, an error status must come as problem details (RFC 9457).
    /// </summary>
    public async Task<(HttpStatusCode Status, JsonElement Body, string? ETag)> SendJsonAsync(
        HttpMethod method, string path, string token, object? json = null, string? ifMatch = null, bool problemDetailsOnError = true)
    {
        using var request = Request(method, path, token);
        if (json is not null)
        {
            request.Content = JsonContent.Create(json);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await Anonymous.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (problemDetailsOnError && (int)response.StatusCode >= 400)
        {
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{method} {path}: {(int)response.StatusCode} {text}");
        }

        var body = text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return (response.StatusCode, body, response.Headers.ETag?.ToString());
    }

    /// <summary>Creates an account through the admin API (no forced password change) and returns its password.</summary>
    public async Task<string> CreateAccountAsync(string username, string role, params string[] groups)
    {
        var password = "Pw-" + Guid.NewGuid().ToString("N")[..12] + "-X9";
        using var request = Request(HttpMethod.Post, "/api/users");
        // No groups given: the gateway's default (the group of every study the shared gateway ingests).
        request.Content = System.Net.Http.Json.JsonContent.Create(new { username, role, password, groups = groups.Length == 0 ? null : groups, mustChangePassword = false });
        using var response = await Http.SendAsync(request);
        if (response.StatusCode != System.Net.HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"creating {username}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return password;
    }

    /// <summary>POST /auth/token; the parsed answer (access_token, refresh_token, ...) or the failed response's status.</summary>
    public async Task<(System.Net.HttpStatusCode Status, System.Text.Json.JsonElement Body)> TokenAsync(string username, string password, string? totp = null)
    {
        using var response = await Anonymous.PostAsync($"{BaseUrl}/auth/token", System.Net.Http.Json.JsonContent.Create(new { username, password, totp }));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : System.Text.Json.JsonDocument.Parse(text).RootElement.Clone());
    }

    public async Task<string> AccessTokenAsync(string username, string password)
    {
        var (status, body) = await TokenAsync(username, password);
        if (status != System.Net.HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"login as {username}: {status} {body}");
        }

        return body.GetProperty("access_token").GetString()!;
    }

    private void WriteReportSigningCertificate()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ReportSigningCertificate)!);
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={ReportSigningName}", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(ReportSigningKey, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(ReportSigningCertificate, certificate.ExportCertificatePem());
    }

    public virtual async Task DisposeAsync()
    {
        _gateway?.Dispose();
        _silo?.Dispose();
        _storescp?.Dispose();
        Http.Dispose();
        Anonymous.Dispose();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        try { Directory.Delete(WorkDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string FindRepoRoot()
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

    // tests/EndToEnd.Tests/bin/<Configuration>/net10.0/: the silo and gateway were built in the same configuration.
    private static string ConfigurationName() => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
}

/// <summary>A gateway started by <see cref="ArchiveFixture.StartGatewayAsync"/>.</summary>
public sealed class ExtraGateway(ChildProcess process, int dicomPort, int httpPort) : IDisposable
{
    public int DicomPort { get; } = dicomPort;
    public int HttpPort { get; } = httpPort;
    public string Log => process.Output;

    /// <summary>A clean shutdown (SIGTERM, as systemd and Kubernetes stop it); the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        var (code, output) = await ChildProcess.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (code != 0)
        {
            throw new InvalidOperationException("kill -TERM failed: " + output);
        }

        return await process.WaitAsync(timeout);
    }

    public void Dispose() => process.Dispose();
}

/// <summary>The DICOMweb tests get an archive of their own: they store and delete data the DIMSE tests would count.</summary>
[CollectionDefinition(Name)]
public sealed class DicomWebArchiveCollection : ICollectionFixture<ArchiveFixture>
{
    public const string Name = "dicomweb-archive";
}

/// <summary>
/// Not beside other collections (xunit.runner.json runs two at once): its tests bound times to a second or two
/// (echo during an association flood, Nagle against TCP_NODELAY, revocation within 2 s).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ArchiveCollection : ICollectionFixture<ArchiveFixture>
{
    public const string Name = "archive";
}
