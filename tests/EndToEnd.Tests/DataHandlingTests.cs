using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Pacs.Testing;
using Xunit.Abstractions;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Issue 16, data handling with the commands an operator runs against a real archive (PostgreSQL, a silo, a gateway):
/// <c>./pacs demo</c> loads the generated demo studies, <c>./pacs reindex</c> rebuilds a deleted index from the blobs
/// alone to the same QIDO answers, <c>./pacs import</c> stores a folder and says what it did with every file.
/// </summary>
public sealed class DataHandlingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "pacs-data-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
    private readonly List<ChildProcess> _processes = [];
    private PostgresServer? _postgres;
    private string _database = "";

    private string Blobs => Path.Combine(_work, "blobs");

    private static readonly Dictionary<string, string> Admin = new() { ["PACS_PASSWORD"] = LocalArchive.AdminPassword };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Blobs);
        _postgres = await PostgresServer.StartNewAsync();
        _database = await _postgres.CreateDatabaseAsync("pacs");
    }

    [Fact]
    public async Task DemoThenReindex_IndexRowsDeleted_SameQidoAnswers_CorruptBlobReportedNotIndexed()
    {
        var database = _database;
        var archive = await LocalArchive.StartAsync(database, Blobs, _signingKey, _processes);
        await PacsOkAsync("demo", "--url", archive.BaseUrl, "--data", _work);

        // The demo: five patients, each with a study QIDO finds, by a Cyrillic name too (PS3.18 8.3.4.6.1 wildcards).
        var studies = await archive.QidoAsync("/dicom-web/studies", "0020000D");
        Assert.Equal(5, studies.Count);
        Assert.Single(await archive.QidoAsync("/dicom-web/studies?PatientName=" + Uri.EscapeDataString("Иванова*"), "0020000D"));
        var ct = Assert.Single(await archive.QidoAsync("/dicom-web/studies?ModalitiesInStudy=CT", "0020000D"));
        Assert.Equal(160, (await archive.QidoAsync($"/dicom-web/studies/{ct}/instances?limit=1000")).Count);
        var before = await AnswersAsync(archive, studies);
        var groups = await AccessGroupsAsync(database);
        var blobCount = Directory.EnumerateFiles(Blobs, "*.dcm", SearchOption.AllDirectories).Count();
        Assert.Equal(212, blobCount);

        // A second, truncated copy of one instance's blob (newer), with the hash the funnel recorded with the original
        // (as a disk losing the blob's tail would leave it): reported by the rebuild from its header alone, never indexed.
        var original = Directory.EnumerateFiles(Blobs, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var corrupt = original[..original.LastIndexOf('.', original.Length - ".dcm".Length - 1)] + ".0badc0ffee000000.dcm"; // SOP.RANDOM.dcm
        Assert.Equal(0, (await ChildProcess.RunAsync("cp", ["--preserve=xattr", original, corrupt])).ExitCode);
        await using (var cut = new FileStream(corrupt, FileMode.Open, FileAccess.Write))
        {
            cut.SetLength(cut.Length * 2 / 3);
        }

        var corruptKey = Path.GetRelativePath(Blobs, corrupt);

        // The disaster: the index rows are gone. The archive is started again (no study grain remembers them).
        foreach (var process in archive.Processes)
        {
            process.KillHard();
        }

        await using (var data = Npgsql.NpgsqlDataSource.Create(database))
        await using (var wipe = data.CreateCommand("TRUNCATE pacs_instances, pacs_series, pacs_studies, pacs_patients, pacs_blob_intents CASCADE"))
        {
            await wipe.ExecuteNonQueryAsync();
        }

        archive = await LocalArchive.StartAsync(database, Blobs, _signingKey, _processes);
        Assert.Empty(await archive.QidoAsync("/dicom-web/studies", "0020000D"));

        var watch = Stopwatch.StartNew();
        await PacsOkAsync("reindex", "--url", archive.BaseUrl);
        var progress = await ProgressAsync(archive, "/api/admin/reindex");
        output.WriteLine($"reindex: {progress.GetProperty("done").GetInt64()} blobs in {watch.Elapsed.TotalSeconds:F1} s, {progress.GetProperty("instancesPerSecond").GetDouble()} instances/s");
        Assert.Equal("done", progress.GetProperty("state").GetString());
        Assert.Equal(213, progress.GetProperty("total").GetInt64());
        Assert.Equal(212, progress.GetProperty("indexed").GetInt64());
        Assert.Equal(1, progress.GetProperty("refused").GetInt64());
        Assert.Equal(corruptKey, progress.GetProperty("refusedBlobs")[0].GetProperty("key").GetString());
        Assert.Contains("truncated", progress.GetProperty("refusedBlobs")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(213, progress.GetProperty("headerOnly").GetInt64()); // every hash was recorded with its blob

        Assert.Equal(before, await AnswersAsync(archive, studies));
        Assert.Equal(groups, await AccessGroupsAsync(database));
        Assert.True(File.Exists(corrupt), "the rebuild deletes nothing");
        await using (var data = Npgsql.NpgsqlDataSource.Create(database))
        await using (var intents = data.CreateCommand("SELECT count(*) FROM pacs_blob_intents"))
        {
            Assert.Equal(0L, (long)(await intents.ExecuteScalarAsync())!);
        }

        // Resumable: a second run finds every study folder in the checkpoint and reads nothing.
        await PacsOkAsync("reindex", "--url", archive.BaseUrl);
        progress = await ProgressAsync(archive, "/api/admin/reindex");
        Assert.Equal(213, progress.GetProperty("skipped").GetInt64());
        Assert.Equal(0, progress.GetProperty("done").GetInt64());
        Assert.Equal(1, progress.GetProperty("refused").GetInt64());

        // From the start, every blob read whole and hashed: each hash is the one recorded with its blob (already indexed).
        await PacsOkAsync("reindex", "--url", archive.BaseUrl, "--restart", "--verify");
        progress = await ProgressAsync(archive, "/api/admin/reindex");
        Assert.Equal(213, progress.GetProperty("done").GetInt64());
        Assert.Equal(0, progress.GetProperty("headerOnly").GetInt64());
        Assert.Equal(212, progress.GetProperty("alreadyIndexed").GetInt64());
        Assert.Equal(1, progress.GetProperty("refused").GetInt64());
        Assert.Equal(before, await AnswersAsync(archive, studies));

        // Each start is in the audit trail; the progress polls are not.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        long starts;
        do
        {
            await Task.Delay(500);
            await using var data = Npgsql.NpgsqlDataSource.Create(database);
            await using var audit = data.CreateCommand("SELECT count(*) FILTER (WHERE kind = 'reindex.start'), count(*) FILTER (WHERE kind LIKE 'admin%' OR kind LIKE 'reindex.read%') FROM pacs_audit_events");
            await using var reader = await audit.ExecuteReaderAsync();
            await reader.ReadAsync();
            starts = reader.GetInt64(0);
            Assert.Equal(0L, reader.GetInt64(1));
        }
        while (starts < 3 && DateTime.UtcNow < deadline);
        Assert.Equal(3L, starts);
    }

    [Fact]
    public async Task Import_FolderWithGoodDuplicateNonDicomAndTruncatedFiles_SummaryPerFile_RerunSkipsFinished()
    {
        var archive = await LocalArchive.StartAsync(_database, Blobs, _signingKey, _processes);
        var demo = await DemoAsync();
        var folder = Path.Combine(_work, "cd");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.Copy(Path.Combine(demo, "DEMO-FR-3", "CR", "0001.dcm"), Path.Combine(folder, "cr.dcm"));
        File.Copy(Path.Combine(demo, "DEMO-ES-4", "US", "0001.dcm"), Path.Combine(folder, "sub", "us.dcm"));
        File.Copy(Path.Combine(demo, "DEMO-EN-5", "DOC", "report.dcm"), Path.Combine(folder, "sub", "report.dcm"));
        File.Copy(Path.Combine(demo, "DEMO-EN-5", "DX", "0001.dcm"), Path.Combine(folder, "dx.dcm"));
        File.Copy(Path.Combine(demo, "DEMO-EN-5", "DX", "0001.dcm"), Path.Combine(folder, "sub", "dx-again.dcm"));
        await File.WriteAllTextAsync(Path.Combine(folder, "README.TXT"), "Patient CD. Insert into a viewer.");
        var mr = await File.ReadAllBytesAsync(Path.Combine(demo, "DEMO-DE-2", "MR1", "0001.dcm"));
        await File.WriteAllBytesAsync(Path.Combine(folder, "sub", "truncated.dcm"), mr[..(mr.Length / 2)]);

        var (_, text) = await PacsOkAsync("import", folder, "--url", archive.BaseUrl);
        var p = await ProgressAsync(archive, "/api/admin/import");
        AssertSummary(p, files: 7, stored: 4, duplicates: 1, refused: 1, notDicom: 1);
        Assert.Equal(Path.Combine(folder, "sub", "truncated.dcm"), p.GetProperty("refusedFiles")[0].GetProperty("path").GetString());
        Assert.Equal(1, p.GetProperty("refusedByReason").GetProperty("CannotUnderstand").GetInt64());
        Assert.Equal(Path.Combine(folder, "README.TXT"), p.GetProperty("notDicomFiles")[0].GetProperty("path").GetString());
        Assert.Contains("not DICOM   1", text, StringComparison.Ordinal);
        Assert.Equal(3, (await archive.QidoAsync("/dicom-web/studies", "0020000D")).Count);

        // Resumed: every file's outcome was final, so a rerun of the same folder sends nothing again.
        await PacsOkAsync("import", folder, "--url", archive.BaseUrl);
        p = await ProgressAsync(archive, "/api/admin/import");
        Assert.Equal(7, p.GetProperty("skipped").GetInt64());
        Assert.Equal(0, p.GetProperty("done").GetInt64());

        // A new file in the folder: only it is sent.
        File.Copy(Path.Combine(demo, "DEMO-DE-2", "MR1", "0001.dcm"), Path.Combine(folder, "sub", "mr.dcm"));
        await PacsOkAsync("import", folder, "--url", archive.BaseUrl);
        p = await ProgressAsync(archive, "/api/admin/import");
        Assert.Equal(1, p.GetProperty("done").GetInt64());
        Assert.Equal(1, p.GetProperty("stored").GetInt64());
    }

    [Fact]
    public async Task Import_ZipWithGoodDuplicateNonDicomAndTruncatedEntries_SummaryPerEntry_RerunSkipsFinished()
    {
        var archive = await LocalArchive.StartAsync(_database, Blobs, _signingKey, _processes);
        var demo = await DemoAsync();
        var zip = Path.Combine(_work, "export.zip");
        var mr = await File.ReadAllBytesAsync(Path.Combine(demo, "DEMO-DE-2", "MR1", "0001.dcm"));
        using (var archiveFile = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            archiveFile.CreateEntryFromFile(Path.Combine(demo, "DEMO-FR-3", "CR", "0001.dcm"), "cr.dcm");
            archiveFile.CreateEntryFromFile(Path.Combine(demo, "DEMO-ES-4", "US", "0001.dcm"), "sub/us.dcm");
            archiveFile.CreateEntryFromFile(Path.Combine(demo, "DEMO-EN-5", "DX", "0001.dcm"), "dx.dcm");
            archiveFile.CreateEntryFromFile(Path.Combine(demo, "DEMO-EN-5", "DX", "0001.dcm"), "sub/dx-again.dcm");
            archiveFile.CreateEntry("sub/");
            await using (var readme = archiveFile.CreateEntry("README.TXT").Open())
            {
                await readme.WriteAsync("Patient CD. Insert into a viewer."u8.ToArray());
            }

            await using (var truncated = archiveFile.CreateEntry("sub/truncated.dcm").Open())
            {
                await truncated.WriteAsync(mr.AsMemory(0, mr.Length / 2));
            }
        }

        var (_, text) = await PacsOkAsync("import", zip, "--url", archive.BaseUrl);
        var p = await ProgressAsync(archive, "/api/admin/import");
        AssertSummary(p, files: 6, stored: 3, duplicates: 1, refused: 1, notDicom: 1);
        Assert.Equal($"{zip}!/sub/truncated.dcm", p.GetProperty("refusedFiles")[0].GetProperty("path").GetString());
        Assert.Equal(1, p.GetProperty("refusedByReason").GetProperty("CannotUnderstand").GetInt64());
        Assert.Equal($"{zip}!/README.TXT", p.GetProperty("notDicomFiles")[0].GetProperty("path").GetString());
        Assert.Contains("duplicates  1", text, StringComparison.Ordinal);
        Assert.Equal(3, (await archive.QidoAsync("/dicom-web/studies", "0020000D")).Count);

        // Resumed: every entry's outcome was final, so a rerun of the same zip sends nothing again.
        await PacsOkAsync("import", zip, "--url", archive.BaseUrl);
        p = await ProgressAsync(archive, "/api/admin/import");
        Assert.Equal(6, p.GetProperty("skipped").GetInt64());
        Assert.Equal(0, p.GetProperty("done").GetInt64());
    }

    [Fact]
    public async Task Import_FolderWithDicomDir_ExactlyItsFiles_MissingReported_DicomDirNotStored()
    {
        var archive = await LocalArchive.StartAsync(_database, Blobs, _signingKey, _processes);
        var demo = await DemoAsync();
        var cd = Path.Combine(_work, "cd");
        Directory.CreateDirectory(Path.Combine(cd, "IMAGES"));
        File.Copy(Path.Combine(demo, "DEMO-FR-3", "CR", "0001.dcm"), Path.Combine(cd, "IMAGES", "IM1"));
        File.Copy(Path.Combine(demo, "DEMO-EN-5", "DX", "0001.dcm"), Path.Combine(cd, "IMAGES", "IM2"));
        File.Copy(Path.Combine(demo, "DEMO-DE-2", "MR1", "0001.dcm"), Path.Combine(cd, "IMAGES", "IM3"));
        var made = await ChildProcess.RunAsync("dcmmkdir", ["--invent", "--recurse", "+id", cd, "+D", Path.Combine(cd, "DICOMDIR"), "IMAGES"]);
        Assert.True(made.ExitCode == 0, made.Output);
        // A file the DICOMDIR does not name is not sent; one it names is gone.
        File.Copy(Path.Combine(demo, "DEMO-ES-4", "US", "0001.dcm"), Path.Combine(cd, "IMAGES", "EXTRA"));
        File.Delete(Path.Combine(cd, "IMAGES", "IM3"));

        await PacsOkAsync("import", cd, "--url", archive.BaseUrl);
        var p = await ProgressAsync(archive, "/api/admin/import");
        AssertSummary(p, files: 3, stored: 2, duplicates: 0, refused: 1, notDicom: 0);
        Assert.Equal(1, p.GetProperty("refusedByReason").GetProperty("Missing").GetInt64());
        Assert.Equal(Path.Combine(cd, "IMAGES", "IM3"), p.GetProperty("refusedFiles")[0].GetProperty("path").GetString());
        var studies = await archive.QidoAsync("/dicom-web/studies", "00080061");
        Assert.Equal(["CR", "DX"], studies.Order(StringComparer.Ordinal));
    }

    private static void AssertSummary(JsonElement p, long files, long stored, long duplicates, long refused, long notDicom)
    {
        Assert.Equal("done", p.GetProperty("state").GetString());
        Assert.Equal(
            (files, stored, duplicates, refused, notDicom),
            (p.GetProperty("files").GetInt64(), p.GetProperty("stored").GetInt64(), p.GetProperty("duplicates").GetInt64(),
                p.GetProperty("refused").GetInt64(), p.GetProperty("notDicom").GetInt64()));
    }

    private async Task<string> DemoAsync()
    {
        var demo = Path.Combine(_work, "demo");
        Assert.Equal(0, (await ChildProcess.RunAsync("/usr/bin/python3", [Path.Combine(LocalArchive.RepoRoot(), "loadtests", "data", "demo-data.py"), demo], timeoutSeconds: 120)).ExitCode);
        return demo;
    }

    /// <summary>
    /// Every study's, series' and instance's QIDO-RS answer with all attributes, in a stable order; the gateway's own
    /// address (in Retrieve URL) replaced, as the archive comes back on other ports.
    /// </summary>
    private static async Task<string> AnswersAsync(LocalArchive archive, IEnumerable<string> studies)
    {
        var all = new List<string> { await AnswerAsync(archive, "/dicom-web/studies?includefield=all") };
        foreach (var study in studies.Order(StringComparer.Ordinal))
        {
            all.Add(await AnswerAsync(archive, $"/dicom-web/studies/{study}/series?includefield=all"));
            all.Add(await AnswerAsync(archive, $"/dicom-web/studies/{study}/instances?includefield=all&limit=1000"));
        }
        return string.Join('\n', all).Replace(archive.BaseUrl, "BASE", StringComparison.Ordinal);
    }

    private static async Task<string> AnswerAsync(LocalArchive archive, string path)
    {
        using var response = await archive.Http.GetAsync(archive.BaseUrl + path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return string.Join('\n', json.RootElement.EnumerateArray().Select(e => e.GetRawText()).Order(StringComparer.Ordinal));
    }

    private static async Task<string> AccessGroupsAsync(string database)
    {
        await using var data = Npgsql.NpgsqlDataSource.Create(database);
        await using var command = data.CreateCommand("SELECT string_agg(study_instance_uid || '=' || array_to_string(access_groups, ','), ';' ORDER BY study_instance_uid) FROM pacs_studies");
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<JsonElement> ProgressAsync(LocalArchive archive, string path)
    {
        using var response = await archive.Http.GetAsync(archive.BaseUrl + path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<(int ExitCode, string Output)> PacsOkAsync(params string[] arguments)
    {
        var (code, text) = await LocalArchive.PacsAsync(output, Admin, arguments);
        Assert.True(code == 0, $"./pacs {string.Join(' ', arguments)} exited {code}:\n{text}");
        return (code, text);
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        try { Directory.Delete(_work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
