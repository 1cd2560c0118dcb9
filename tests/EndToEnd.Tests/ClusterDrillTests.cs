using System.Diagnostics;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.Network.Dimse;
using Xunit.Abstractions;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Failure drills on a cluster of real processes (PostgreSQL, 2 silos, 2 gateways): four senders push one large study
/// and a few small ones through both gateways at once while a silo is SIGKILLed, a gateway is SIGKILLed, or PostgreSQL
/// restarts. Afterwards the archive must hold exactly what was acknowledged: every instance that got a success status,
/// once, with its exact bytes, and nothing else; derived study and series counts right.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterDrillTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan BreakTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FinishTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task GatewayStartedBeforeAnySilo_WaitsForTheClusterAndServes()
    {
        Assert.True(cluster.GatewayWaitedForCluster, "the gateway started first did not keep retrying:\n" + ClusterFixture.Tail(cluster.Gateways[0].Output, 40));
        await cluster.EnsureRunningAsync();
        using var ready = await cluster.Http.GetAsync($"http://127.0.0.1:{cluster.Gateways[0].HttpPort}/health/ready");
        Assert.True(ready.IsSuccessStatusCode);
    }

    [Fact]
    public async Task SiloKilledMidIngest_AcknowledgedInstancesStoredOnceIntactAndGrainsMoveToTheSurvivor()
    {
        await cluster.EnsureRunningAsync();
        var workload = SyntheticWorkload.Create("silokill");
        var run = new ClusterIngestRun(workload, cluster.DicomPorts);
        var clock = Stopwatch.StartNew();

        run.Start();
        await run.WaitForAcknowledgedAsync(workload.Instances.Count / 4, BreakTimeout);
        // Kill the silo that hosts the big study's grain: its commits in flight die with it.
        var activation = $"Study {workload.MainStudy}: activated";
        var victim = cluster.Silos
            .Select(s => (Silo: s, Last: s.Output.Split('\n').Where(l => l.Contains(activation, StringComparison.Ordinal)).Max(StringComparer.Ordinal)))
            .Where(s => s.Last is not null)
            .OrderByDescending(s => s.Last, StringComparer.Ordinal) // lines start with a sortable UTC timestamp
            .Select(s => s.Silo)
            .First();
        var survivorHadIt = cluster.Silos.Single(s => s != victim).Output.Split('\n').Count(l => l.Contains(activation, StringComparison.Ordinal));
        var survivor = cluster.Silos.Single(s => s != victim);
        var killedAt = DateTime.UtcNow;
        cluster.Kill(victim);
        var declaredDead = WaitDeclaredDeadAsync(victim.Name, killedAt);

        await run.CompleteAsync(FinishTimeout);
        var detection = await declaredDead;
        Report(run, clock, $"silo {victim.Name} killed at {Elapsed(clock, killedAt)}; declared Dead after {detection.TotalSeconds:0.0} s");

        await AssertArchiveHoldsExactlyWhatWasAcknowledgedAsync(workload, run);
        // Ingest of the big study continued after the kill, through a fresh activation on the surviving silo.
        Assert.Contains(run.Acknowledged, a => a.Value > killedAt && workload.Instances.Any(i => i.Sop == a.Key && i.Study == workload.MainStudy));
        Assert.True(survivor.Output.Split('\n').Count(l => l.Contains(activation, StringComparison.Ordinal)) > survivorHadIt, "no activation on the survivor");
        // Orleans noticed within seconds (probe timeout x missed probes, docs/operations.md).
        Assert.True(detection < TimeSpan.FromSeconds(30), $"the dead silo was declared dead only after {detection}");
    }

    [Fact]
    public async Task SiloKilledUnderReadersAndIngest_NoReaderOrStoreFailsAndNoneWaitsPastTheBound()
    {
        // The failover issue's SIGKILL goal: eight readers over both gateways and four senders over both gateways; the
        // silo that holds the ingested study's grain is killed. Bounds: 5 s, here with a margin for a loaded machine.
        var figures = await new FailoverDrill(cluster, output.WriteLine).RunAsync(FailoverEvent.SiloKilled, "readkill");

        await AssertArchiveHoldsExactlyWhatWasAcknowledgedAsync(figures.Workload!, figures.Ingest!);
        Assert.NotNull(figures.DeclaredDeadAfter);
        // Both gateways kept answering readers after the kill.
        Assert.All(cluster.Gateways.Select((_, i) => i), g => Assert.Contains(figures.Readers, r => r.Gateway == g && r.IsSuccess));
        Assert.Contains(figures.Stores, s => s.IsSuccess);
        Assert.Empty(figures.Violations(margin: 1.6));
    }

    [Fact]
    public async Task GatewayKilledMidIngest_SendersFinishThroughTheOtherGatewayAndNothingIsLost()
    {
        await cluster.EnsureRunningAsync();
        var workload = SyntheticWorkload.Create("gatewaykill");
        var run = new ClusterIngestRun(workload, cluster.DicomPorts);
        var clock = Stopwatch.StartNew();

        run.Start();
        await run.WaitForAcknowledgedAsync(workload.Instances.Count / 4, BreakTimeout);
        var killedAt = DateTime.UtcNow;
        cluster.Kill(cluster.Gateways[0]);

        await run.CompleteAsync(FinishTimeout);
        Report(run, clock, $"gateway0 killed at {Elapsed(clock, killedAt)}");

        await AssertArchiveHoldsExactlyWhatWasAcknowledgedAsync(workload, run);
        // The senders that were on the killed gateway lost their association and finished on the other one.
        Assert.Contains(run.Attempts, a => a.Gateway == 0 && a.Error is not null && a.StartedUtc >= killedAt.AddSeconds(-5));
        var movedSenders = run.Attempts.Where(a => a.Gateway == 1 && a.IsSuccess && a.StartedUtc > killedAt).Select(a => a.Sender).Distinct().Count();
        Assert.Equal(run.Senders, movedSenders);
    }

    [Fact]
    public async Task PostgresRestartedMidIngest_StoresFailWithOutOfResourcesThenResume()
    {
        await cluster.EnsureRunningAsync();
        var workload = SyntheticWorkload.Create("pgrestart");
        var run = new ClusterIngestRun(workload, cluster.DicomPorts);
        var clock = Stopwatch.StartNew();

        run.Start();
        await run.WaitForAcknowledgedAsync(workload.Instances.Count / 4, BreakTimeout);
        var stoppedAt = DateTime.UtcNow;
        await cluster.Postgres.StopAsync();
        var downAt = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(4));
        var restartAt = DateTime.UtcNow;
        await cluster.Postgres.StartAsync();
        var upAt = DateTime.UtcNow;

        await run.CompleteAsync(FinishTimeout);
        Report(run, clock, $"PostgreSQL stopping at {Elapsed(clock, stoppedAt)}, down {Elapsed(clock, downAt)}..{Elapsed(clock, upAt)}");

        await AssertArchiveHoldsExactlyWhatWasAcknowledgedAsync(workload, run);
        var attempts = run.Attempts.ToList();
        // While the database was down, stores were answered (no hang) with A700 Out of Resources.
        var duringOutage = attempts.Where(a => a.StartedUtc >= downAt && a.StartedUtc + a.Duration <= restartAt).ToList();
        Assert.NotEmpty(duringOutage);
        Assert.All(duringOutage, a => Assert.Equal((ushort?)DimseStatus.OutOfResources.Code, a.Status));
        // Every failure of the whole run was a proper DIMSE status, not a dropped association or a timeout.
        Assert.All(attempts.Where(a => !a.IsSuccess), a => Assert.True(a.Status == DimseStatus.OutOfResources.Code, $"{a}"));
        Assert.All(attempts, a => Assert.True(a.Duration < TimeSpan.FromSeconds(20), $"a store took {a.Duration}: {a}"));
        // And ingest resumed once it was back, without restarting any node.
        Assert.Contains(attempts, a => a.IsSuccess && a.StartedUtc > upAt);
        Assert.All(cluster.Silos.Concat(cluster.Gateways), n => Assert.True(n.IsRunning, $"{n.Name} died"));
    }

    private async Task AssertArchiveHoldsExactlyWhatWasAcknowledgedAsync(SyntheticWorkload workload, ClusterIngestRun run)
    {
        // Every sender retries until success, so everything sent is acknowledged in the end.
        Assert.Equal(workload.Instances.Select(i => i.Sop).Order(StringComparer.Ordinal), run.Acknowledged.Keys.Order(StringComparer.Ordinal));

        await using var data = NpgsqlDataSource.Create(cluster.Database);
        var rows = new List<(string Study, string Series, string Sop, string Key, byte[] Hash, string Algorithm)>();
        await using (var command = data.CreateCommand("""
            SELECT st.study_instance_uid, se.series_instance_uid, i.sop_instance_uid, i.blob_key, i.content_sha256, i.content_hash_algorithm
            FROM pacs_instances i JOIN pacs_studies st ON st.study_key = i.study_key JOIN pacs_series se ON se.series_key = i.series_key
            WHERE st.study_instance_uid = ANY($1)
            """))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = workload.Studies.ToArray() });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<byte[]>(4), reader.GetString(5)));
            }
        }

        // Exactly once each, and nothing that was never acknowledged.
        Assert.Equal(run.Acknowledged.Keys.Order(StringComparer.Ordinal), rows.Select(r => r.Sop).Order(StringComparer.Ordinal));
        var sent = workload.Instances.ToDictionary(i => i.Sop, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var instance = sent[row.Sop];
            Assert.Equal((instance.Study, instance.Series), (row.Study, row.Series));
            Assert.Equal("blake3", row.Algorithm);
            Assert.Equal(instance.Blake3, row.Hash);
            var blob = await File.ReadAllBytesAsync(Path.Combine(cluster.StorageRoot, row.Key));
            Assert.Equal(row.Hash, SyntheticInstance.Blake3Of(blob));
            Assert.Equal(instance.Bytes, blob);
        }

        // Derived attributes (PS3.4 C.6.1.1.3) agree with what is there.
        foreach (var study in workload.Instances.GroupBy(i => i.Study))
        {
            await using var command = data.CreateCommand("SELECT number_of_instances, number_of_series FROM pacs_studies WHERE study_instance_uid = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = study.Key });
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal((study.Count(), study.Select(i => i.Series).Distinct().Count()), (reader.GetInt32(0), reader.GetInt32(1)));
        }

        foreach (var series in workload.Instances.GroupBy(i => i.Series))
        {
            await using var command = data.CreateCommand("SELECT number_of_instances FROM pacs_series WHERE series_instance_uid = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = series.Key });
            Assert.Equal(series.Count(), (int)(await command.ExecuteScalarAsync())!);
        }

        // No half-done leftovers: every blob is indexed, has an intent, or has a marker (the reconciler's to-do lists).
        var known = new HashSet<string>(StringComparer.Ordinal);
        var pending = Path.Combine(cluster.StorageRoot, ".staging", "pending");
        if (Directory.Exists(pending))
        {
            foreach (var marker in Directory.GetFiles(pending, "*.pending"))
            {
                known.Add(Path.GetFileName(marker)[..^".pending".Length].Replace('+', '/'));
            }
        }

        await using (var command = data.CreateCommand("SELECT blob_key FROM pacs_instances UNION ALL SELECT blob_key FROM pacs_blob_intents"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                known.Add(reader.GetString(0));
            }
        }

        var unaccounted = Directory.GetFiles(cluster.StorageRoot, "*.dcm", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(cluster.StorageRoot, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(k => !k.StartsWith(".staging/", StringComparison.Ordinal) && !known.Contains(k))
            .ToList();
        Assert.Empty(unaccounted);
    }

    private Task<TimeSpan> WaitDeclaredDeadAsync(string siloName, DateTime killedAt) =>
        FailoverDrill.WaitDeclaredDeadAsync(cluster.Database, siloName, killedAt, TimeSpan.FromSeconds(90));

    private void Report(ClusterIngestRun run, Stopwatch clock, string what)
    {
        output.WriteLine($"{what}; finished at {clock.Elapsed.TotalSeconds:0.0} s. {run.Summary()}");
        // Log lines start with a sortable UTC timestamp: keep this drill's.
        var since = (DateTime.UtcNow - clock.Elapsed).ToString("yyyy-MM-ddTHH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var node in cluster.Silos.Concat(cluster.Gateways))
        {
            var lines = node.Output.Split('\n').Where(l => string.CompareOrdinal(l, since) >= 0).ToList();
            var landed = lines.Count(l => l.Contains("commit had landed", StringComparison.Ordinal));
            if (landed > 0)
            {
                output.WriteLine($"{node.Name}: {landed} failed grain call(s) settled as stored by the index");
            }

            var warnings = lines.Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal)).ToList();
            output.WriteLine($"{node.Name}: {warnings.Count} warning/error lines");
            foreach (var line in warnings.Take(8))
            {
                output.WriteLine("  " + (line.Length > 300 ? line[..300] : line));
            }
        }
    }

    private static string Elapsed(Stopwatch clock, DateTime at) =>
        $"{(clock.Elapsed - (DateTime.UtcNow - at)).TotalSeconds:0.0} s";
}
