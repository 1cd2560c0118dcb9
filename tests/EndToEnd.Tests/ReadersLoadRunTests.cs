using System.Globalization;
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
            password: ArchiveFixture.AdminPassword, loginUrl: null, new Dictionary<string, int> { ["gateway"] = archive.GatewayProcessId }, CancellationToken.None);

        Assert.True(report.Errors == 0, report.SummaryLine());
        Assert.True(report.Frames > 0, report.SummaryLine());
        Assert.True(report.StudiesCompleted >= 2, report.SummaryLine());
        Assert.Equal(report.StudiesCompleted, report.TimeToFirstImageMs.Count);
        Assert.True(report.TimeToFirstImageMs.P50 > 0 && report.TimeToFirstImageMs.P50 <= report.FirstSeriesMs.P50, report.SummaryLine());
        Assert.True(report.MegabytesPerSecond > 0, report.SummaryLine());
        Assert.True(report.Processes["gateway"].CpuSeconds > 0 && report.Processes["gateway"].PeakRssMb > 10, report.SummaryLine());
        Assert.Contains("errors=0", report.SummaryLine(), StringComparison.Ordinal);
        Assert.Contains("\"framesPerSecond\"", report.ToJson(), StringComparison.Ordinal);
    }
}
