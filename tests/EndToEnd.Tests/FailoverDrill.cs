using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Pacs.EndToEnd.Tests;

/// <summary>What happens to a node (or the database) in a failover drill.</summary>
public enum FailoverEvent
{
    /// <summary>SIGKILL of the silo that holds the ingested study's grain.</summary>
    SiloKilled,

    /// <summary>SIGSTOP of that silo (a hung process: GC pause, frozen VM, disk stall), SIGKILL after the drill.</summary>
    SiloHung,

    /// <summary>SIGTERM of that silo (a Kubernetes rolling update): it leaves the cluster and exits.</summary>
    SiloStopped,

    /// <summary>PostgreSQL stopped (fast shutdown), started again five seconds later.</summary>
    DatabaseRestarted,

    /// <summary>
    /// A merely slow silo, not a dead one: SIGSTOP/SIGCONT in a duty cycle (stopped 300 ms of every 500 ms, with a
    /// 1.5 s stop every 5 s) for 30 s, as a silo starved of CPU on a busy node or in long GC pauses.
    /// </summary>
    SiloSlow,
}

/// <summary>The figures of one drill (docs/benchmarks.md, "Failover drill"), and the issue's bounds they are held to.</summary>
public sealed record FailoverFigures(
    FailoverEvent Event,
    string Victim,
    IReadOnlyList<ReaderRequest> Readers,
    TimeSpan LongestReaderStall,
    IReadOnlyList<StoreAttempt> Stores,
    TimeSpan? DeclaredDeadAfter,
    TimeSpan? RecoveredAfterDatabaseReturned,
    string IngestSummary)
{
    /// <summary>The drill's ingest: what was sent, and what the senders saw (to check the archive afterwards).</summary>
    public SyntheticWorkload? Workload { get; init; }

    public ClusterIngestRun? Ingest { get; init; }

    public TimeSpan ReaderMax => Readers.Count == 0 ? TimeSpan.Zero : Readers.Max(r => r.Duration);
    public int ReaderFailures => Readers.Count(r => !r.IsSuccess);
    public TimeSpan StoreMax => Stores.Count == 0 ? TimeSpan.Zero : Stores.Max(s => s.Duration);
    public int StoreFailures => Stores.Count(s => !s.IsSuccess);

    public string Report()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Event} ({Victim}): readers {ClusterReaders.Summary(Readers)}; longest time with no reader answer {LongestReaderStall.TotalSeconds:0.0} s");
        text.Append(CultureInfo.InvariantCulture, $"; C-STORE: {Stores.Count} attempts, {StoreFailures} failed, max {StoreMax.TotalMilliseconds:0} ms ({IngestSummary})");
        if (DeclaredDeadAfter is { } dead)
        {
            text.Append(CultureInfo.InvariantCulture, $"; declared dead after {dead.TotalSeconds:0.0} s");
        }
        else if (Event is not FailoverEvent.DatabaseRestarted)
        {
            text.Append("; not declared dead");
        }

        if (Event is FailoverEvent.DatabaseRestarted)
        {
            var qido = Readers.Where(r => r.Kind == "qido" && !r.IsSuccess).ToList();
            text.Append(CultureInfo.InvariantCulture, $"; QIDO 503 with Retry-After: {qido.Count(r => r is { Status: 503, RetryAfter: true })} of {qido.Count} failed QIDO");
            text.Append(CultureInfo.InvariantCulture, $"; metadata failures {Readers.Count(r => r.Kind != "qido" && !r.IsSuccess)}");
            text.Append(RecoveredAfterDatabaseReturned is { } back ? string.Create(CultureInfo.InvariantCulture, $"; every kind answered again {back.TotalSeconds:0.0} s after the database returned") : "; not recovered");
        }
        return text.ToString();
    }

    /// <summary>
    /// The failover issue's bounds, each multiplied by <paramref name="margin"/> (1 for the drill; more for a test on a
    /// loaded machine); empty when all hold.
    /// </summary>
    public IReadOnlyList<string> Violations(double margin = 1)
    {
        var violations = new List<string>();
        void Bound(bool holds, string what)
        {
            if (!holds)
            {
                violations.Add(what);
            }
        }

        TimeSpan Limit(double seconds) => TimeSpan.FromSeconds(seconds * margin);
        switch (Event)
        {
            case FailoverEvent.SiloKilled:
                Bound(ReaderFailures == 0, $"{ReaderFailures} reader requests failed");
                Bound(ReaderMax <= Limit(5), $"a reader request took {ReaderMax.TotalSeconds:0.0} s (bound {Limit(5).TotalSeconds:0.0} s)");
                Bound(StoreFailures == 0, $"{StoreFailures} C-STORE attempts failed");
                Bound(StoreMax <= Limit(5), $"a C-STORE took {StoreMax.TotalSeconds:0.0} s (bound {Limit(5).TotalSeconds:0.0} s)");
                break;
            case FailoverEvent.SiloHung:
                Bound(ReaderFailures == 0, $"{ReaderFailures} reader requests failed");
                Bound(ReaderMax <= Limit(10), $"a reader request took {ReaderMax.TotalSeconds:0.0} s (bound {Limit(10).TotalSeconds:0.0} s)");
                Bound(DeclaredDeadAfter is { } d && d <= Limit(10), $"declared dead after {DeclaredDeadAfter?.TotalSeconds:0.0} s (bound {Limit(10).TotalSeconds:0.0} s)");
                break;
            case FailoverEvent.SiloStopped:
                Bound(ReaderFailures == 0, $"{ReaderFailures} reader requests failed");
                Bound(ReaderMax <= Limit(1), $"a reader request took {ReaderMax.TotalSeconds:0.0} s (bound {Limit(1).TotalSeconds:0.0} s)");
                Bound(StoreFailures == 0, $"{StoreFailures} C-STORE attempts failed");
                Bound(StoreMax <= Limit(1), $"a C-STORE took {StoreMax.TotalSeconds:0.0} s (bound {Limit(1).TotalSeconds:0.0} s)");
                break;
            case FailoverEvent.DatabaseRestarted:
                var qidoFailures = Readers.Where(r => r.Kind == "qido" && !r.IsSuccess).ToList();
                Bound(qidoFailures.All(r => r is { Status: 503, RetryAfter: true }), "a QIDO failed otherwise than 503 with Retry-After");
                Bound(Readers.Where(r => r.Kind == "qido").All(r => r.Duration <= Limit(5)), "a QIDO hung");
                Bound(Readers.Count(r => r.Kind != "qido" && !r.IsSuccess) == 0, "metadata the gateways held was not served");
                Bound(RecoveredAfterDatabaseReturned is { } back && back <= Limit(5), $"back only after {RecoveredAfterDatabaseReturned?.TotalSeconds:0.0} s (bound {Limit(5).TotalSeconds:0.0} s)");
                break;
            case FailoverEvent.SiloSlow:
                // A measurement, not a goal: how the cluster treats a silo that is slow but alive.
                break;
        }
        return violations;
    }
}

/// <summary>
/// The failover drill (the failover issue): on a cluster of real processes, eight readers over both gateways and four
/// C-STORE senders over both gateways run while <see cref="FailoverEvent"/> happens; the figures say what readers and
/// modalities saw. Used by loadtests/failover-drill.sh (every event) and by the end-to-end test of the SIGKILL case.
/// </summary>
public sealed class FailoverDrill(ClusterFixture cluster, Action<string> log)
{
    private static readonly TimeSpan Observe = TimeSpan.FromSeconds(15);

    public async Task<FailoverFigures> RunAsync(FailoverEvent what, string label)
    {
        await cluster.EnsureRunningAsync();
        // The studies the readers read: stored first, through both gateways.
        var seed = SyntheticWorkload.Create(label + "-read", mainInstances: 40, mainSeries: 4, otherStudies: 6, otherInstances: 12);
        var seeding = new ClusterIngestRun(seed, cluster.DicomPorts);
        seeding.Start();
        await seeding.CompleteAsync(TimeSpan.FromMinutes(3));

        var readers = new ClusterReaders(cluster.Gateways.Select(g => g.HttpPort).ToArray(), seed.Instances.Select(i => (i.Study, i.Series)));
        readers.Start();
        // Warm: every gateway has read every series once (what a gateway "holds").
        await Task.Delay(TimeSpan.FromSeconds(4));

        var workload = SyntheticWorkload.Create(label);
        var run = new ClusterIngestRun(workload, cluster.DicomPorts);
        run.Start();
        await run.WaitForAcknowledgedAsync(workload.Instances.Count / 4, TimeSpan.FromMinutes(2));

        var victim = SiloHolding(workload.MainStudy);
        var eventAt = DateTime.UtcNow;
        log($"{what}: {victim.Name} (pid {victim.Process?.Id}) at {eventAt:HH:mm:ss.fff}");
        var declaredDead = what is FailoverEvent.DatabaseRestarted ? null : WaitDeclaredDeadAsync(cluster.Database, victim.Name, eventAt, Observe + TimeSpan.FromSeconds(30));
        DateTime? databaseBack = null;
        switch (what)
        {
            case FailoverEvent.SiloKilled:
                cluster.Kill(victim);
                break;
            case FailoverEvent.SiloHung:
                await SignalAsync(victim, "STOP");
                break;
            case FailoverEvent.SiloStopped:
                await SignalAsync(victim, "TERM");
                break;
            case FailoverEvent.DatabaseRestarted:
                await cluster.Postgres.StopAsync();
                await Task.Delay(TimeSpan.FromSeconds(5));
                await cluster.Postgres.StartAsync();
                databaseBack = DateTime.UtcNow;
                break;
            case FailoverEvent.SiloSlow:
                await SlowDownAsync(victim, TimeSpan.FromSeconds(30));
                break;
        }

        var completion = run.CompleteAsync(TimeSpan.FromMinutes(3));
        var observedUntil = eventAt + (what is FailoverEvent.SiloSlow ? TimeSpan.FromSeconds(35) : Observe);
        if (observedUntil > DateTime.UtcNow)
        {
            await Task.Delay(observedUntil - DateTime.UtcNow);
        }

        TimeSpan? dead = declaredDead is null ? null : await declaredDead;
        if (what is FailoverEvent.SiloHung)
        {
            // Whatever the cluster did, the frozen process ends here (SIGKILL also ends a stopped process).
            cluster.Kill(victim);
        }
        await completion;
        await readers.StopAsync();

        var observed = readers.Since(eventAt).Where(r => r.StartedUtc <= observedUntil).ToList();
        TimeSpan? recovered = null;
        if (databaseBack is { } back)
        {
            // Every kind of request answered again: the last failure of any kind ended, and each kind succeeded after it.
            var lastFailure = observed.Where(r => !r.IsSuccess).Select(r => r.EndedUtc).DefaultIfEmpty(back).Max();
            var kinds = observed.Select(r => r.Kind).Distinct().ToList();
            if (kinds.All(k => observed.Any(r => r.Kind == k && r.IsSuccess && r.StartedUtc >= lastFailure)))
            {
                recovered = lastFailure > back ? lastFailure - back : TimeSpan.Zero;
            }
        }

        var stores = run.Attempts.Where(a => a.StartedUtc + a.Duration >= eventAt).ToList();
        var figures = new FailoverFigures(what, victim.Name, observed, readers.LongestStall(eventAt, observedUntil), stores,
            dead is { } d && d != TimeSpan.MaxValue ? d : null, recovered, run.Summary())
        {
            Workload = workload,
            Ingest = run,
        };
        log(figures.Report());
        return figures;
    }

    /// <summary>The silo that activated <paramref name="study"/>'s grain last (the silos log activations at Debug).</summary>
    private ClusterFixture.Node SiloHolding(string study)
    {
        var activation = $"Study {study}: activated";
        return cluster.Silos
            .Select(s => (Silo: s, Last: s.Output.Split('\n').Where(l => l.Contains(activation, StringComparison.Ordinal)).Max(StringComparer.Ordinal)))
            .Where(s => s.Last is not null)
            .OrderByDescending(s => s.Last, StringComparer.Ordinal) // lines start with a sortable UTC timestamp
            .Select(s => s.Silo)
            .FirstOrDefault() ?? cluster.Silos[^1];
    }

    private static async Task SignalAsync(ClusterFixture.Node node, string signal)
    {
        var (code, output) = await ChildProcess.RunAsync("kill", [$"-{signal}", node.Process!.Id.ToString(CultureInfo.InvariantCulture)]);
        if (code != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {node.Name}: {output}");
        }
    }

    private static async Task SlowDownAsync(ClusterFixture.Node node, TimeSpan duration)
    {
        var watch = Stopwatch.StartNew();
        for (var cycle = 1; watch.Elapsed < duration && node.IsRunning; cycle++)
        {
            await SignalAsync(node, "STOP");
            await Task.Delay(cycle % 10 == 0 ? 1500 : 300);
            await SignalAsync(node, "CONT");
            await Task.Delay(200);
        }
    }

    /// <summary>How long until the membership table says the silo is Dead (status 6); TimeSpan.MaxValue if not within <paramref name="within"/>.</summary>
    public static async Task<TimeSpan> WaitDeclaredDeadAsync(string database, string siloName, DateTime since, TimeSpan within)
    {
        await using var data = NpgsqlDataSource.Create(database);
        while (DateTime.UtcNow - since < within)
        {
            try
            {
                await using var command = data.CreateCommand(
                    "SELECT status FROM orleans_membership WHERE silo_name = $1 ORDER BY generation DESC LIMIT 1");
                command.Parameters.Add(new NpgsqlParameter { Value = siloName });
                if (await command.ExecuteScalarAsync() is 6)
                {
                    return DateTime.UtcNow - since;
                }
            }
            catch (NpgsqlException) { }
            await Task.Delay(100);
        }
        return TimeSpan.MaxValue;
    }
}
