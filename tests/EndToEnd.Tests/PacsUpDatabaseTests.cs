using System.Globalization;
using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using Npgsql;
using Pacs.Testing;
using Xunit.Abstractions;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Issue 13, the locked-down database of <c>./pacs up</c>: its private PostgreSQL asks every login for a password
/// (SCRAM-SHA-256), the hosts connect as the role <c>pacs</c> that owns the database but is no superuser, both
/// passwords are in 0600 files of the data folder, and a data folder made by an older <c>./pacs</c> (local logins
/// trusted, everything owned by the superuser) is upgraded in place, again and again without harm. Each archive
/// then stores over DIMSE and finds over QIDO.
/// </summary>
[SupportedOSPlatform("linux")] // ./pacs and its file modes
public sealed class PacsUpDatabaseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminPassword = "Lockdown-Admin-Passw0rd";
    private readonly string _work = Path.Combine(Path.GetTempPath(), "pacs-lockdown-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<string> _upFolders = [];
    private PostgresServer? _postgres;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_work);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Up_FreshDataFolder_PasswordsOnlyAndNonSuperuserOwner_StoresAndFinds()
    {
        var data = Path.Combine(_work, "fresh");
        var ports = await UpAsync(data, pgPort: ChildProcess.FreePort());

        await AssertLockedDownAsync(data, ports.Pg);
        await AssertStoresAndFindsAsync(ports, "LOCKDOWN-FRESH");

        // Issue 14: a self-signed report signing certificate, its key 0600, loaded by the gateway.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "report-signing", "key.pem")));
        var (x509, subject) = await ChildProcess.RunAsync("openssl", ["x509", "-noout", "-subject", "-in", Path.Combine(data, "report-signing", "cert.pem")], 30);
        Assert.True(x509 == 0, subject);
        Assert.Contains("Clinton PACS report signing (self-signed)", subject);
        Assert.Contains("Report signing certificate: CN=Clinton PACS report signing (self-signed)", await File.ReadAllTextAsync(Path.Combine(data, "logs", "gateway-0.log")));
    }

    [Fact]
    public async Task Up_DataFolderOfAnOlderPacs_UpgradedInPlaceTwice_OldTablesOwnedByPacs_StoresAndFinds()
    {
        // What an older ./pacs left: a cluster that trusts local logins, the schema migrated by the superuser.
        var data = Path.Combine(_work, "older");
        Directory.CreateDirectory(data);
        _postgres = await PostgresServer.StartNewAsync();
        Assert.False(_postgres.IsExternal, "the test takes over its database server: it needs the private one, not PACS_TEST_DB");
        var superuser = await _postgres.CreateDatabaseAsync("pacs");
        File.CreateSymbolicLink(Path.Combine(data, "pg"), _postgres.RootDirectory!);
        await MigrateAsSuperuserAsync(superuser);
        Assert.NotEqual(0L, await ScalarAsync<long>(superuser, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relowner = 'postgres'::regrole AND relkind = 'r'"));
        await _postgres.StopAsync();

        var ports = await UpAsync(data, _postgres.Port);
        await AssertLockedDownAsync(data, ports.Pg);
        await AssertStoresAndFindsAsync(ports, "LOCKDOWN-OLD-1");

        // Idempotent: a second up on the upgraded folder changes nothing and everything still works.
        var passwords = (await File.ReadAllTextAsync(Path.Combine(data, "pg-superuser-password")), await File.ReadAllTextAsync(Path.Combine(data, "pg-pacs-password")));
        await PacsOkAsync(TimeSpan.FromSeconds(120), "down", "--data", data);
        ports = await UpAsync(data, _postgres.Port);
        Assert.Equal(passwords, (await File.ReadAllTextAsync(Path.Combine(data, "pg-superuser-password")), await File.ReadAllTextAsync(Path.Combine(data, "pg-pacs-password"))));
        await AssertLockedDownAsync(data, ports.Pg);
        await AssertStoresAndFindsAsync(ports, "LOCKDOWN-OLD-2");
    }

    [Fact]
    public async Task Up_WithTls_HttpsAndDicomTlsAnswerWithTheLocalCa_PlainDicomRefusedOnTheTlsPort()
    {
        // Issue 13: ./pacs up --tls makes a private CA and a server certificate (keys 0600) and starts both listeners.
        var data = Path.Combine(_work, "tls");
        var (https, dicomTls) = (ChildProcess.FreePort(), ChildProcess.FreePort());
        string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
        var ports = await UpAsync(data, ChildProcess.FreePort(), "--tls", "--https-port", Text(https), "--dicom-tls-port", Text(dicomTls));

        var ca = Path.Combine(data, "tls", "ca.pem");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "tls", "server.key")));
        var (echo, echoOutput) = await ChildProcess.RunAsync("echoscu", ["+tla", "+cf", ca, "-aec", "CLINTON", "127.0.0.1", Text(dicomTls)], 60);
        Assert.True(echo == 0, "echoscu over TLS failed:\n" + echoOutput);
        var (plain, _) = await ChildProcess.RunAsync("echoscu", ["-to", "10", "-ta", "10", "-aec", "CLINTON", "127.0.0.1", Text(dicomTls)], 60);
        Assert.NotEqual(0, plain);
        var (curl, curlOutput) = await ChildProcess.RunAsync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, $"https://127.0.0.1:{Text(https)}/health/ready"], 60);
        Assert.True(curl == 0 && curlOutput.Trim() == "200", $"curl over HTTPS: exit {curl}, {curlOutput}");
        await AssertStoresAndFindsAsync(ports, "TLS-UP");
    }

    private sealed record Ports(int Pg, int Http, int Dicom);

    private async Task AssertLockedDownAsync(string data, int pgPort)
    {
        foreach (var name in new[] { "pg-superuser-password", "pg-pacs-password" })
        {
            var file = Path.Combine(data, name);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(32, (await File.ReadAllTextAsync(file)).Length);
        }
        var socket = Path.GetFullPath(Path.Combine(data, "pg", "sock"));
        var pg = pgPort.ToString(CultureInfo.InvariantCulture);

        // No password, no login: over loopback and over the socket, as the superuser and as pacs.
        foreach (var host in new[] { "127.0.0.1", socket })
        {
            foreach (var user in new[] { "postgres", "pacs" })
            {
                var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<int>($"Host={host};Port={pg};Username={user};Database=pacs;Timeout=10;Pooling=false", "SELECT 1"));
                output.WriteLine($"{user}@{host} without a password: {refused.Message}");
                Assert.Contains("password", refused.Message, StringComparison.OrdinalIgnoreCase);
            }
        }
        var wrong = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<int>($"Host=127.0.0.1;Port={pg};Username=pacs;Password=not-it;Database=pacs;Timeout=10;Pooling=false", "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, wrong.SqlState);

        // Not listening on any address but loopback.
        var superuser = $"Host={socket};Port={pg};Username=postgres;Password={await File.ReadAllTextAsync(Path.Combine(data, "pg-superuser-password"))};Database=pacs;Timeout=10;Pooling=false";
        Assert.Equal("127.0.0.1", await ScalarAsync<string>(superuser, "SHOW listen_addresses"));

        // The hosts' role: owner of the database, its schema and every table and sequence, and nothing more.
        var app = $"Host=127.0.0.1;Port={pg};Username=pacs;Password={await File.ReadAllTextAsync(Path.Combine(data, "pg-pacs-password"))};Database=pacs;Timeout=10;Pooling=false";
        Assert.Equal("f f f f", await ScalarAsync<string>(app, "SELECT concat_ws(' ', rolsuper, rolcreaterole, rolcreatedb, rolreplication) FROM pg_roles WHERE rolname = current_user"));
        Assert.Equal("pacs", await ScalarAsync<string>(app, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"));
        Assert.Equal("pacs", await ScalarAsync<string>(app, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'"));
        Assert.Equal(0L, await ScalarAsync<long>(app, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S', 'v', 'm') AND relowner <> 'pacs'::regrole"));
        Assert.Equal(0L, await ScalarAsync<long>(app, "SELECT count(*) FROM pg_proc p WHERE pronamespace = 'public'::regnamespace AND proowner <> 'pacs'::regrole AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"));
        Assert.True(await ScalarAsync<long>(app, "SELECT count(*) FROM schema_migrations") > 10);
        // What a superuser could and pacs cannot: make a role (one that could log in from anywhere with any rights).
        var denied = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<int>(app, "CREATE ROLE intruder LOGIN SUPERUSER"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
    }

    private async Task AssertStoresAndFindsAsync(Ports ports, string label)
    {
        var workload = SyntheticWorkload.Create(label, mainInstances: 4, mainSeries: 1, otherStudies: 0);
        var run = new ClusterIngestRun(workload, [ports.Dicom], senders: 1);
        run.Start();
        await run.CompleteAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(workload.Instances.Count, run.Acknowledged.Count);

        var http = ports.Http.ToString(CultureInfo.InvariantCulture);
        using var client = new HttpClient(new AuthenticatingHandler(() => $"http://127.0.0.1:{http}", "admin", AdminPassword)) { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var study in workload.Instances.GroupBy(i => i.Study))
        {
            using var response = await client.GetAsync($"http://127.0.0.1:{http}/dicom-web/studies/{study.Key}/instances");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var found = json.RootElement.EnumerateArray().Select(e => e.GetProperty("00080018").GetProperty("Value")[0].GetString()!);
            Assert.Equal(study.Select(i => i.Sop).Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        }
    }

    /// <summary>Runs the schema migrations the way an older ./pacs did: a silo connected as the superuser.</summary>
    private async Task MigrateAsSuperuserAsync(string superuser)
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var ports = new HashSet<int>();
        while (ports.Count < 3)
        {
            ports.Add(ChildProcess.FreePort());
        }

        var health = ports.ElementAt(0).ToString(CultureInfo.InvariantCulture);
        using var silo = new ChildProcess("dotnet", [Path.Combine(RepoRoot(), "Silo", "bin", bin, "net10.0", "Pacs.Silo.dll"),
            "--database", superuser, "--silo-name", "older-silo", "--silo-port", ports.ElementAt(1).ToString(CultureInfo.InvariantCulture),
            "--gateway-port", ports.ElementAt(2).ToString(CultureInfo.InvariantCulture), "--http-port", health,
            "--Pacs:Telemetry:MetricsPort", "0"],
            environment: new Dictionary<string, string> { ["PACS_ADMIN_PASSWORD"] = AdminPassword });
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            if (silo.HasExited)
            {
                throw new InvalidOperationException($"the silo exited with {silo.ExitCode}:\n{silo.Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the silo was not ready within 120 s:\n{silo.Output}");
            }

            try
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{health}/health/ready");
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

    /// <summary>
    /// ./pacs up --detach on free ports, with the hosts the test run built (the test's subject is the database, and a
    /// build under a loaded machine's contention once took minutes); the admin's first password is <see cref="AdminPassword"/>.
    /// </summary>
    private async Task<Ports> UpAsync(string data, int pgPort, params string[] extra)
    {
        var ports = new HashSet<int> { pgPort };
        while (ports.Count < 6)
        {
            ports.Add(ChildProcess.FreePort());
        }

        var (http, dicom, silo, siloGateway, siloHttp) = (ports.ElementAt(1), ports.ElementAt(2), ports.ElementAt(3), ports.ElementAt(4), ports.ElementAt(5));
        string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
        _upFolders.Add(data);
        await PacsOkAsync(TimeSpan.FromSeconds(400), new Dictionary<string, string>
        {
            ["PACS_ADMIN_PASSWORD"] = AdminPassword,
            ["PACS_SILO_PORT_BASE"] = Text(silo),
            ["PACS_SILO_GATEWAY_PORT_BASE"] = Text(siloGateway),
            ["PACS_SILO_HTTP_PORT_BASE"] = Text(siloHttp),
            ["PACS_METRICS_PORT_BASE"] = "0",
        }, ["up", "--detach", "--no-build", "--data", data, "--pg-port", Text(pgPort), "--http-port", Text(http), "--dicom-port", Text(dicom), "--timeout", "240", .. extra]);
        return new Ports(pgPort, http, dicom);
    }

    private Task PacsOkAsync(TimeSpan timeout, params string[] arguments) => PacsOkAsync(timeout, new Dictionary<string, string>(), arguments);

    private async Task PacsOkAsync(TimeSpan timeout, Dictionary<string, string> environment, params string[] arguments)
    {
        using var process = new ChildProcess("bash", [Path.Combine(RepoRoot(), "pacs"), .. arguments], environment: environment);
        var code = await process.WaitAsync(timeout);
        output.WriteLine($"$ ./pacs {string.Join(' ', arguments)}\n{process.Output}");
        Assert.True(code == 0, $"./pacs {string.Join(' ', arguments)} exited {code}:\n{process.Output}");
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static string RepoRoot()
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

    public async Task DisposeAsync()
    {
        foreach (var data in _upFolders.Distinct())
        {
            using var down = new ChildProcess("bash", [Path.Combine(RepoRoot(), "pacs"), "down", "--data", data]);
            await down.WaitAsync(TimeSpan.FromSeconds(120));
            output.WriteLine($"$ ./pacs down --data {data}\n{down.Output}");
        }
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        foreach (var link in Directory.Exists(_work) ? Directory.GetDirectories(_work) : [])
        {
            // A private folder's PostgreSQL files live under /var/tmp/clinton-pacs (./pacs pg_place): remove them too.
            var pg = new DirectoryInfo(Path.Combine(link, "pg"));
            if (pg.LinkTarget is { } target && target.StartsWith("/var/tmp/clinton-pacs/", StringComparison.Ordinal))
            {
                try { Directory.Delete(target, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
