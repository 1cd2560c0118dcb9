using System.Globalization;
using System.Text.Json;
using Pacs.Dicom;
using Pacs.Loadtests.ReadersLoad;

namespace Pacs.EndToEnd.Tests;

/// <summary>The readers load generator against a live gateway (real silo, PostgreSQL, authentication), briefly.</summary>
[Collection(ReadersArchiveCollection.Name)]
public sealed class ReadersLoadRunTests(ArchiveFixture archive)
{
    [Fact]
    public async Task Run_TwoReadersForFourSeconds_ZeroErrorsFramesAndGatewayCpu()
    {
        var study = SyntheticStudy.Create("CT", "READERS^LOAD", slices: 24);
        await archive.StoreScuAsync(Path.Combine(archive.WorkDirectory, "readers-load-study"), study.Instances);

        var settings = new LoadSettings([new Uri(archive.BaseUrl + "/dicom-web/")], Readers: 2, Duration: TimeSpan.FromSeconds(4), StudiesPerReader: null,
            Pause: TimeSpan.FromMilliseconds(200), Ramp: TimeSpan.FromMilliseconds(500), MaxConnectionsPerHost: 6, RequestTimeout: TimeSpan.FromSeconds(30));
        var recording = SessionRecording.Load(Path.Combine(archive.RepoRoot, "loadtests", "ReadersLoad", "ohif-3.13-session.json"));

        var report = await ReadersLoadRunner.RunAsync("e2e", settings, recording, maxStudies: 20, modalities: "CT", user: "admin",
            password: ArchiveFixture.AdminPassword, loginUrl: null, new Dictionary<string, IReadOnlyList<int>> { ["gateway"] = [archive.GatewayProcessId] },
            cataloguePath: null, CancellationToken.None, CancellationToken.None);

        Assert.True(report.Errors == 0, report.SummaryLine());
        Assert.True(report.Frames > 0, report.SummaryLine());
        Assert.True(report.StudiesCompleted >= 2, report.SummaryLine());
        Assert.Equal(report.StudiesCompleted, report.TimeToFirstImageMs.Count);
        Assert.True(report.TimeToFirstImageMs.P50 > 0 && report.TimeToFirstImageMs.P50 <= report.FirstSeriesMs.P50, report.SummaryLine());
        Assert.True(report.MegabytesPerSecond > 0, report.SummaryLine());
        Assert.True(report.Processes["gateway"].CpuSeconds > 0 && report.Processes["gateway"].PeakRssMb > 10, report.SummaryLine());
        Assert.Contains("errors=0", report.SummaryLine(), StringComparison.Ordinal);
        Assert.Contains("\"framesPerSecond\"", report.ToJson(), StringComparison.Ordinal);
        Assert.Equal([archive.GatewayProcessId], report.Processes["gateway"].Pids);
    }

    [Fact]
    public async Task Run_CatalogueWrittenThenReused_StoppedAfterThreeSecondsOfTenMinutes_EndsSoonWithTheShortWindow()
    {
        var study = SyntheticStudy.Create("CT", "READERS^STOP", slices: 12);
        await archive.StoreScuAsync(Path.Combine(archive.WorkDirectory, "readers-load-stop"), study.Instances);
        var settings = new LoadSettings([new Uri(archive.BaseUrl + "/dicom-web/")], Readers: 1, Duration: TimeSpan.FromSeconds(1), StudiesPerReader: null,
            Pause: TimeSpan.FromMilliseconds(200), Ramp: TimeSpan.FromMilliseconds(200), MaxConnectionsPerHost: 6, RequestTimeout: TimeSpan.FromSeconds(30));
        var recording = SessionRecording.Load(Path.Combine(archive.RepoRoot, "loadtests", "ReadersLoad", "ohif-3.13-session.json"));
        var cataloguePath = Path.Combine(archive.WorkDirectory, $"readers-catalogue-{Guid.NewGuid():N}.json");
        var noProcesses = new Dictionary<string, IReadOnlyList<int>>();

        // The first run finds the studies and writes them down; keep only the study stored here.
        var first = await ReadersLoadRunner.RunAsync("e2e-catalogue", settings, recording, maxStudies: 50, modalities: "CT", user: "admin",
            password: ArchiveFixture.AdminPassword, loginUrl: null, noProcesses, cataloguePath, CancellationToken.None, CancellationToken.None);
        var saved = Catalogue.Load(await File.ReadAllTextAsync(cataloguePath));
        Assert.Equal(first.CatalogueStudies, saved.Count);
        Assert.Contains(saved, s => s.StudyInstanceUid == study.StudyInstanceUid && s.Instances == 12);
        await File.WriteAllTextAsync(cataloguePath, JsonSerializer.Serialize(saved.Where(s => s.StudyInstanceUid == study.StudyInstanceUid).ToList(), SessionRecording.Json));

        // The second reads the catalogue, not the server's list, and is told to stop after 3 s of its 10 minutes.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var began = DateTime.UtcNow;
        var report = await ReadersLoadRunner.RunAsync("e2e-stop", settings with { Readers = 2, Duration = TimeSpan.FromMinutes(10) }, recording,
            maxStudies: 50, modalities: "CT", user: "admin", password: ArchiveFixture.AdminPassword, loginUrl: null, noProcesses, cataloguePath,
            stop.Token, CancellationToken.None);
        var took = DateTime.UtcNow - began;

        Assert.Equal((1, 12), (report.CatalogueStudies, report.CatalogueInstances));
        // Readers stopped starting studies at the signal and the ones under way finished, well before the ten minutes.
        Assert.True(took < TimeSpan.FromSeconds(60), $"{took}: {report.SummaryLine()}");
        Assert.InRange(report.DurationSeconds, 0.5, 30);
        Assert.True(report.Errors == 0 && report.StudiesCompleted >= 1, report.SummaryLine());
        Assert.Equal(0, report.StudiesIncomplete);
    }
}
