using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Pacs.Testing;
using Xunit.Abstractions;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Issue 16, the restore drill, with the commands a hospital runs (<c>./pacs backup start|now|sync|verify</c>,
/// <c>./pacs restore --to T</c>) against a real archive: a private PostgreSQL (the data folder's <c>pg</c> links to
/// it, as <c>./pacs up</c> lays it out), a silo and a gateway. Store, back up, store, note T, store, destroy the data
/// folder, restore to T: what was acknowledged before T is back exactly once with the same bytes, nothing after T is.
/// </summary>
public sealed class BackupRestoreDrillTests(ITestOutputHelper output) : IAsyncLifetime
{
        private readonly string _work = Path.Combine(Path.GetTempPath(), "pacs-backup-drill-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
    private readonly List<ChildProcess> _processes = [];
    private PostgresServer? _postgres;
    private string? _restored;
    private string? _latest;

    private string Data => Path.Combine(_work, "data");
    private string Backup => Path.Combine(_work, "backup");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Data, "blobs"));
        _postgres = await PostgresServer.StartNewAsync();
        Assert.False(_postgres.IsExternal, "the drill destroys its database: it needs the private server, not PACS_TEST_DB");
        await _postgres.CreateDatabaseAsync("pacs");
        // The layout of ./pacs up: DIR/pg (data/, sock/, postgres.log) and DIR/blobs.
        File.CreateSymbolicLink(Path.Combine(Data, "pg"), _postgres.RootDirectory!);
    }

    [Fact]
    public async Task Restore_DataFolderDestroyedAfterSigkill_ToTimeHasEverythingBeforeTNothingAfter_LatestHasEverythingSynced()
    {
        // archive_mode needs a restart: backup start says so (exit 3) when it does not manage the server itself.
        Assert.Equal(3, (await PacsAsync("backup", "start", "--data", Data, "--backup", Backup)).ExitCode);
        await _postgres!.StopAsync();
        await _postgres.StartAsync();
        await PacsOkAsync("backup", "start", "--data", Data, "--backup", Backup);

        var database = Connection(_postgres.Port);
        var archive = await StartArchiveAsync(database, Path.Combine(Data, "blobs"));
        var before = SyntheticWorkload.Create("BACKUP-A", mainInstances: 12, mainSeries: 2, otherStudies: 1, otherInstances: 4);
        await StoreAsync(archive, before);
        await PacsOkAsync("backup", "now", "--data", Data, "--backup", Backup);

        var alsoBefore = SyntheticWorkload.Create("BACKUP-B", mainInstances: 6, mainSeries: 1, otherStudies: 0);
        await StoreAsync(archive, alsoBefore);
        await PacsOkAsync("backup", "sync", "--data", Data, "--backup", Backup);
        var kept = before.Instances.Concat(alsoBefore.Instances).ToList();
        var wado = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var instance in kept)
        {
            wado[instance.Sop] = SHA256.HashData(await WadoAsync(archive, instance));
        }

        await Task.Delay(500);
        var t = DateTime.UtcNow;
        await Task.Delay(500);
        var after = SyntheticWorkload.Create("BACKUP-C", mainInstances: 5, mainSeries: 1, otherStudies: 0);
        await StoreAsync(archive, after);
        await PacsOkAsync("backup", "sync", "--data", Data, "--backup", Backup);
        await PacsOkAsync("backup", "verify", "--data", Data, "--backup", Backup);

        // The disaster: everything SIGKILLed (PostgreSQL's postmaster and its backends too), the database and the blobs gone.
        foreach (var process in archive.Processes)
        {
            process.KillHard();
        }

        var postmaster = int.Parse(File.ReadLines(Path.Combine(_postgres.RootDirectory!, "data", "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        using (var server = Process.GetProcessById(postmaster))
        {
            // The postmaster alone (the backends notice its death and exit): Kill(entireProcessTree) SIGSTOPs the tree
            // first, which stops the runuser wrapper too, and then nothing reaps the postmaster.
            server.Kill(entireProcessTree: false);
        }
        var gone = Stopwatch.StartNew();
        while (File.Exists($"/proc/{postmaster.ToString(CultureInfo.InvariantCulture)}/stat") && gone.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        await _postgres.StopAsync();
        Directory.Delete(Path.Combine(_postgres.RootDirectory!, "data"), recursive: true);
        Directory.Delete(Path.Combine(Data, "blobs"), recursive: true);

        // "latest": the last sync point, which came after everything was stored. Checked in the database and the blobs.
        _latest = Path.Combine(_work, "latest");
        var latestPort = ChildProcess.FreePort();
        await PacsOkAsync("restore", "--to", "latest", "--data", _latest, "--backup", Backup, "--pg-port", latestPort.ToString(CultureInfo.InvariantCulture), "--keep-running");
        var all = kept.Concat(after.Instances).ToList();
        var latestRows = await IndexedAsync(Connection(latestPort));
        Assert.Equal(all.Select(i => i.Sop).Order(StringComparer.Ordinal), latestRows.Keys.Order(StringComparer.Ordinal));
        foreach (var instance in all)
        {
            Assert.Equal(instance.Bytes, await File.ReadAllBytesAsync(Path.Combine(_latest, "blobs", latestRows[instance.Sop])));
        }

        await PacsOkAsync("down", "--data", _latest);

        _restored = Path.Combine(_work, "restored");
        var port = ChildProcess.FreePort();
        var watch = Stopwatch.StartNew();
        await PacsOkAsync("restore", "--to", t.ToString("yyyy-MM-dd HH:mm:ss.ffffff' UTC'", CultureInfo.InvariantCulture),
            "--data", _restored, "--backup", Backup, "--pg-port", port.ToString(CultureInfo.InvariantCulture), "--keep-running");
        var restore = watch.Elapsed;
        var restored = await StartArchiveAsync(Connection(port), Path.Combine(_restored, "blobs"));
        var rto = watch.Elapsed;
        output.WriteLine($"RTO: restore {restore.TotalSeconds:F1} s, archive ready {rto.TotalSeconds:F1} s after the restore began");
        Assert.True(rto < TimeSpan.FromSeconds(90), $"restore took {rto}");

        // Every instance acknowledged before T: exactly once per study, the same bytes as before the disaster.
        foreach (var study in kept.GroupBy(i => i.Study))
        {
            var instances = await QidoAsync(restored, $"/dicom-web/studies/{study.Key}/instances");
            Assert.Equal(study.Select(i => i.Sop).Order(StringComparer.Ordinal), instances.Order(StringComparer.Ordinal));
        }
        foreach (var instance in kept)
        {
            Assert.Equal(wado[instance.Sop], SHA256.HashData(await WadoAsync(restored, instance)));
            Assert.Equal(instance.Bytes, await File.ReadAllBytesAsync(Path.Combine(_restored, "blobs", await BlobKeyAsync(Connection(port), instance.Sop))));
        }

        // Nothing stored after T: neither its study nor its instances.
        foreach (var study in after.Studies)
        {
            Assert.Empty(await QidoAsync(restored, $"/dicom-web/studies?StudyInstanceUID={study}"));
        }

        using var missing = await restored.Http.GetAsync(WadoPath(restored, after.Instances[0]));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(before.Studies.Concat(alsoBefore.Studies).Order(StringComparer.Ordinal),
            (await QidoAsync(restored, "/dicom-web/studies", "0020000D")).Order(StringComparer.Ordinal));
    }

    private static string Connection(int port) => LocalArchive.Connection(port);

    private Task<LocalArchive> StartArchiveAsync(string database, string blobs) => LocalArchive.StartAsync(database, blobs, _signingKey, _processes);

    private static async Task StoreAsync(LocalArchive archive, SyntheticWorkload workload)
    {
        var run = new ClusterIngestRun(workload, [archive.DicomPort], senders: 1);
        run.Start();
        await run.CompleteAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(workload.Instances.Count, run.Acknowledged.Count);
    }

    private static string WadoPath(LocalArchive archive, SyntheticInstance instance) =>
        $"http://127.0.0.1:{archive.HttpPort.ToString(CultureInfo.InvariantCulture)}/wado?requestType=WADO&studyUID={instance.Study}&seriesUID={instance.Series}&objectUID={instance.Sop}&contentType=application/dicom";

    private static async Task<byte[]> WadoAsync(LocalArchive archive, SyntheticInstance instance)
    {
        using var response = await archive.Http.GetAsync(WadoPath(archive, instance));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static Task<List<string>> QidoAsync(LocalArchive archive, string path, string tag = "00080018") => archive.QidoAsync(path, tag);

    /// <summary>SOP Instance UID -> blob key of every indexed instance (a duplicate row would fail the dictionary).</summary>
    private static async Task<Dictionary<string, string>> IndexedAsync(string database)
    {
        await using var data = Npgsql.NpgsqlDataSource.Create(database);
        await using var command = data.CreateCommand("SELECT sop_instance_uid, blob_key FROM pacs_instances");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0), reader.GetString(1));
        }

        return rows;
    }

    private static async Task<string> BlobKeyAsync(string database, string sop)
    {
        await using var data = Npgsql.NpgsqlDataSource.Create(database);
        await using var command = data.CreateCommand("SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = sop });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task PacsOkAsync(params string[] arguments)
    {
        var (code, text) = await PacsAsync(arguments);
        Assert.True(code == 0, $"./pacs {string.Join(' ', arguments)} exited {code}:\n{text}");
    }

    private Task<(int ExitCode, string Output)> PacsAsync(params string[] arguments) => LocalArchive.PacsAsync(output, null, arguments);

    private static string RepoRoot() => LocalArchive.RepoRoot();

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        foreach (var folder in new[] { _latest, _restored })
        {
            if (folder is not null && Directory.Exists(folder))
            {
                await PacsAsync("down", "--data", folder);
            }
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        try { Directory.Delete(_work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
