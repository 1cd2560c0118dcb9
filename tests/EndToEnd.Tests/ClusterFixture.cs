using System.Globalization;
using Pacs.Testing;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// A cluster of real processes for the failure drills: one private PostgreSQL, two silos and two gateways (their
/// build output, started with `dotnet`) sharing one blob store folder. Drills kill nodes; <see cref="EnsureRunningAsync"/>
/// brings the cluster back to full strength before the next one.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string AeTitle = "CLINTON";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);

    private readonly string _configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    public string RepoRoot { get; } = FindRepoRoot();
    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "pacs-cluster-" + Guid.NewGuid().ToString("N")[..8]);
    public string StorageRoot => Path.Combine(WorkDirectory, "blobs");
    public PostgresServer Postgres { get; private set; } = null!;
    public string Database { get; private set; } = "";
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The first-run admin's password, and the signing key every gateway shares (both in the environment).</summary>
    public const string AdminPassword = "E2e-Admin-Passw0rd";

    public string SigningKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));

    public Node[] Silos { get; } = [Node.Silo(0), Node.Silo(1)];
    public Node[] Gateways { get; } = [Node.Gateway(0), Node.Gateway(1)];

    public int[] DicomPorts => Gateways.Select(g => g.DicomPort).ToArray();

    /// <summary>One silo or gateway: fixed ports for the fixture's lifetime, so a restarted node comes back where it was.</summary>
    public sealed class Node
    {
        private Node(string name, bool isSilo)
        {
            Name = name;
            IsSilo = isSilo;
        }

        public string Name { get; }
        public bool IsSilo { get; }
        public int HttpPort { get; private set; }
        public int SiloPort { get; private set; }
        public int GatewayPort { get; private set; }
        public int DicomPort { get; private set; }
        public ChildProcess? Process { get; set; }

        /// <summary>
        /// Fresh ports for each incarnation: a dead node's ports go back to the ephemeral pool, and any outgoing
        /// connection on the machine may take one before the node restarts (EADDRINUSE).
        /// </summary>
        public void ChoosePorts()
        {
            HttpPort = ChildProcess.FreePort();
            SiloPort = ChildProcess.FreePort();
            GatewayPort = ChildProcess.FreePort();
            DicomPort = ChildProcess.FreePort();
        }

        /// <summary>Output of every incarnation of this node (a restart keeps what the killed one wrote).</summary>
        public System.Text.StringBuilder History { get; } = new();

        public string Output => History + (Process?.Output ?? "");
        public bool IsRunning => Process is { HasExited: false };

        public static Node Silo(int index) => new($"silo{index}", true);
        public static Node Gateway(int index) => new($"gateway{index}", false);
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(StorageRoot);
        Postgres = await PostgresServer.StartNewAsync();
        Database = await Postgres.CreateDatabaseAsync("cluster");
        // A gateway first, on a database without a schema and a cluster without a silo (Kubernetes starts pods in
        // no particular order): it must keep trying, not exit.
        Start(Gateways[0]);
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (!Gateways[0].Output.Contains("Cluster not reachable yet", StringComparison.Ordinal) && Gateways[0].IsRunning && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await Task.Delay(1000);
        GatewayWaitedForCluster = Gateways[0].IsRunning && Gateways[0].Output.Contains("Cluster not reachable yet", StringComparison.Ordinal);
        // The first silo applies the schema; the others start once it is in place.
        Start(Silos[0]);
        await WaitReadyAsync(Silos[0]);
        await EnsureRunningAsync();
    }

    /// <summary>The gateway started before any silo was still running, retrying, a second after it first failed to connect.</summary>
    public bool GatewayWaitedForCluster { get; private set; }

    /// <summary>Starts every node that is not running and waits until all are ready.</summary>
    public async Task EnsureRunningAsync()
    {
        var started = Silos.Concat(Gateways).Where(n => !n.IsRunning).ToList();
        foreach (var node in started)
        {
            Start(node);
        }

        foreach (var node in Silos.Concat(Gateways))
        {
            // A port taken between choosing and binding is the machine's doing, not the node's: try other ports.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await WaitReadyAsync(node);
                    break;
                }
                catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                {
                    Start(node);
                }
            }
        }
    }

    /// <summary>SIGKILL: the node gets no chance to leave the cluster or finish what it was doing.</summary>
    public void Kill(Node node) => node.Process?.KillHard();

    /// <summary>
    /// A third gateway of this cluster with <paramref name="arguments"/> added (e.g. another session cache time), ready,
    /// and its HTTP port; the caller disposes of the process. Not one of <see cref="Gateways"/>: drills do not see it.
    /// </summary>
    public async Task<(ChildProcess Process, int HttpPort)> StartExtraGatewayAsync(params string[] arguments)
    {
        var dicomPort = ChildProcess.FreePort();
        var httpPort = ChildProcess.FreePort();
        var process = new ChildProcess("dotnet", [.. GatewayArguments(httpPort, dicomPort), .. arguments],
            environment: new Dictionary<string, string> { ["Pacs__Auth__SigningKey"] = SigningKey });
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                var code = await process.WaitAsync(TimeSpan.FromSeconds(10));
                var output = process.Output;
                process.Dispose();
                throw new InvalidOperationException($"the extra gateway exited with {code}:\n{Tail(output, 150)}");
            }

            try
            {
                using var response = await Http.GetAsync($"http://127.0.0.1:{httpPort}/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return (process, httpPort);
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
            {
                var output = process.Output;
                process.Dispose();
                throw new TimeoutException($"the extra gateway was not ready within {ReadyTimeout.TotalSeconds:0} s:\n{Tail(output)}");
            }

            await Task.Delay(250);
        }
    }

    private string[] GatewayArguments(int httpPort, int dicomPort) =>
        [Path.Combine(RepoRoot, "Gateway", "bin", _configuration, "net10.0", "Pacs.Gateway.dll"),
            "--urls", $"http://127.0.0.1:{httpPort}",
            "--Pacs:Database", Database,
            "--Pacs:DicomPort", dicomPort.ToString(CultureInfo.InvariantCulture),
            "--Pacs:AeTitle", AeTitle,
            "--Pacs:StorageRoot", StorageRoot,
            "--Pacs:Auth:LoginAttemptsPerAddressPerMinute", "100000",
            "--Pacs:Auth:LoginAttemptsPerAccountPerMinute", "100000",
            "--Pacs:Telemetry:MetricsPort", "0"];

    private void Start(Node node)
    {
        if (node.Process is { } old)
        {
            node.History.Append(old.Output).AppendLine($"---- {node.Name} restarted ----");
            old.Dispose();
        }

        node.ChoosePorts();
        string Port(int p) => p.ToString(CultureInfo.InvariantCulture);
        node.Process = node.IsSilo
            ? new ChildProcess("dotnet", [Path.Combine(RepoRoot, "Silo", "bin", _configuration, "net10.0", "Pacs.Silo.dll"),
                "--database", Database, "--silo-name", node.Name, "--silo-port", Port(node.SiloPort),
                "--gateway-port", Port(node.GatewayPort), "--http-port", Port(node.HttpPort),
                // Which silo hosts a study shows in the log: the drill kills that one.
                "--Logging:LogLevel:Pacs.Grains.StudyGrain", "Debug",
                // No management port: fixed defaults would collide between nodes and with other test runs.
                "--Pacs:Telemetry:MetricsPort", "0"],
                environment: new Dictionary<string, string> { ["PACS_ADMIN_PASSWORD"] = AdminPassword })
            : new ChildProcess("dotnet", GatewayArguments(node.HttpPort, node.DicomPort),
                environment: new Dictionary<string, string> { ["Pacs__Auth__SigningKey"] = SigningKey });
    }

    private async Task WaitReadyAsync(Node node)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (node.Process is not { } process || process.HasExited)
            {
                // Let the output readers drain before quoting what the node said.
                var code = node.Process is null ? (int?)null : await node.Process.WaitAsync(TimeSpan.FromSeconds(10));
                throw new InvalidOperationException($"{node.Name} exited with {code}:\n{Tail(node.Output, 150)}");
            }
            try
            {
                using var response = await Http.GetAsync($"http://127.0.0.1:{node.HttpPort}/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{node.Name} not ready within {ReadyTimeout.TotalSeconds:0} s:\n{Tail(node.Output)}");
    }

    public static string Tail(string text, int lines = 80)
    {
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public async Task DisposeAsync()
    {
        foreach (var node in Gateways.Concat(Silos))
        {
            node.Process?.Dispose();
        }

        Http.Dispose();
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
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
}

/// <summary>
/// Not beside other collections (xunit.runner.json runs two at once): the drills bound failover, detection and
/// revocation times in seconds, which a second collection's load on a 2-core machine would eat into.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
