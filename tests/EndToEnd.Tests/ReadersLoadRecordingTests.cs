using Pacs.Loadtests.ReadersLoad;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// The readers load generator (loadtests/ReadersLoad) without a server: the checked-in OHIF recording parses and holds
/// every step of opening a study, its percentiles are right on known data, a recorded session becomes the right
/// requests for a study of another shape, its --pid option adds processes up under one name, and a saved catalogue
/// reads back the same studies.
/// </summary>
public sealed class ReadersLoadRecordingTests
{
    private static string RecordingPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return Path.Combine(dir.FullName, "loadtests", "ReadersLoad", "ohif-3.13-session.json");
            }
        }

        throw new InvalidOperationException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Recording_CheckedIn_ParsesWithListSeriesMetadataThumbnailsAndFramesOfBothSeries()
    {
        var recording = SessionRecording.Load(RecordingPath());

        Assert.StartsWith("OHIF 3.13", recording.Viewer, StringComparison.Ordinal);
        Assert.Equal(6, recording.MaxInFlightPerHost);
        Assert.Equal(RequestKind.StudyList, recording.Requests[0].Kind);
        var kinds = recording.Requests.Select(r => r.Kind).ToList();
        Assert.True(kinds.IndexOf(RequestKind.StudySeries) < kinds.IndexOf(RequestKind.SeriesMetadata));
        Assert.True(kinds.IndexOf(RequestKind.SeriesMetadata) < kinds.IndexOf(RequestKind.Frame));
        Assert.Contains(RequestKind.Thumbnail, kinds);
        Assert.Equal(2, recording.Series.Count);
        foreach (var series in recording.Series)
        {
            var frames = recording.Requests.Where(r => r.Kind == RequestKind.Frame && r.Series == series.Index).ToList();
            Assert.Equal(series.Instances, frames.Select(r => r.Instance).Distinct().Count());
            Assert.All(frames, f => Assert.Contains("{instance}/frames/", f.Path, StringComparison.Ordinal));
        }
        // The second series is opened by the reader's click, after the first one.
        Assert.All(recording.Requests.Where(r => r.Kind == RequestKind.Frame && r.Series == 1), r => Assert.True(r.AfterUserAction));
        // No UID or patient identifier of the recorded study is left in a path.
        Assert.All(recording.Requests, r => Assert.DoesNotMatch(@"\d+\.\d+\.\d+\.\d+|E2E-", r.Path));
    }

    [Fact]
    public void Parse_SeriesPlaceholderWithoutIndex_IsRefused()
    {
        const string json = """
            {"viewer":"x","description":"x","recordedUtc":"2026-01-01T00:00:00Z","dicomWebRoot":"/dicom-web/","maxInFlightPerHost":6,
             "series":[{"index":0,"instances":1}],
             "requests":[{"sequence":1,"kind":"SeriesMetadata","method":"GET","path":"studies/{study}/series/{series}/metadata",
                          "afterUserAction":false,"startMs":0,"durationMs":1,"status":200,"bytes":1,"pendingAtIssue":1}]}
            """;
        var e = Assert.Throws<InvalidDataException>(() => SessionRecording.Parse(json));
        Assert.Contains("no series index", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => SessionRecording.Parse("""{"viewer":"x","series":[{"index":0,"instances":1}],"requests":[]}"""));
    }

    [Fact]
    public void Percentiles_KnownData_NearestRank()
    {
        var oneToHundred = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToList();
        var s = Percentiles.Summarize(oneToHundred);
        Assert.Equal((100, 50.0, 95.0, 99.0, 100.0), (s.Count, s.P50, s.P95, s.P99, s.Max));

        // The textbook example of the nearest-rank method: 15, 20, 35, 40, 50.
        double[] five = [15, 20, 35, 40, 50];
        Assert.Equal(20, Percentiles.Of(five, 30));
        Assert.Equal(20, Percentiles.Of(five, 40));
        Assert.Equal(35, Percentiles.Of(five, 50));
        Assert.Equal(50, Percentiles.Of(five, 100));
        Assert.Equal(7, Percentiles.Of([7], 99));
        Assert.True(double.IsNaN(Percentiles.Summarize([]).P95));
    }

    [Fact]
    public void ReplayPlan_StudyOfThreeLongerSeries_EveryInstanceFramedOnceInTheViewersOrder()
    {
        var recording = SessionRecording.Load(RecordingPath());
        static CatalogueSeries Series(int number, int count) => new($"1.2.3.{number}", number, "CT",
            Enumerable.Range(1, count).Select(i => new CatalogueInstance($"1.2.3.{number}.{i}", i, 1)).ToList());
        var study = new CatalogueStudy("1.2.3", "PID-1", [Series(1, 300), Series(2, 40), Series(3, 7)]);

        var plan = ReplayPlan.For(recording, study);

        var frames = plan.Where(p => p.Kind == RequestKind.Frame).ToList();
        Assert.Equal(347, frames.Count);
        Assert.Equal(347, frames.Select(f => f.Path).Distinct().Count());
        foreach (var (series, index) in study.Series.Select((s, i) => (s, i)))
        {
            Assert.All(series.Instances, i => Assert.Single(frames, f => f.Series == index && f.Path.Contains($"/instances/{i.SopInstanceUid}/frames/1", StringComparison.Ordinal)));
        }
        // The first series' frames come first, in the recorded order scaled to 300 slices; the third series (which the
        // recording did not have) is read like the second, after the reader's click.
        var recordedFirst = recording.Requests.First(r => r.Kind == RequestKind.Frame && r.Series == 0).Instance!.Value;
        var expectedFirst = (int)Math.Round(recordedFirst * 299.0 / (recording.Series[0].Instances - 1));
        Assert.Contains($"/instances/1.2.3.1.{expectedFirst + 1}/frames/1", frames[0].Path, StringComparison.Ordinal);
        Assert.All(frames.Take(300), f => Assert.Equal(0, f.Series));
        Assert.All(frames.Where(f => f.Series == 2), f => Assert.True(f.AfterUserAction));
        Assert.Contains(plan, p => p.Kind == RequestKind.SeriesMetadata && p.Path == "studies/1.2.3/series/1.2.3.3/metadata");
        Assert.DoesNotContain(plan, p => p.Path.Contains('{', StringComparison.Ordinal));
        Assert.Contains(plan, p => p.Path.Contains("00100020=PID-1", StringComparison.Ordinal));
    }

    [Fact]
    public void PidOption_TwoGatewaysOneOptionAndARepeatedName_SummedUnderOneNameEachOnce()
    {
        var pids = new Dictionary<string, IReadOnlyList<int>>();

        PidOption.Add(pids, "gateway=101,202");
        PidOption.Add(pids, "silo=303");
        PidOption.Add(pids, "silo=404");
        PidOption.Add(pids, "gateway=202");

        Assert.Equal([101, 202], pids["gateway"]);
        Assert.Equal([303, 404], pids["silo"]);
        foreach (var bad in new[] { "gateway", "=1", "gateway=", "gateway=1,,2", "gateway=x", "gateway=-3", "gateway=0" })
        {
            Assert.Throws<ArgumentException>(() => PidOption.Add(pids, bad));
        }
    }

    [Fact]
    public void Catalogue_SavedThenLoaded_SameStudiesSeriesAndInstancesInOrder_AndOneWithoutUidRefused()
    {
        static CatalogueSeries Series(string uid, int number, int count) => new(uid, number, "MR",
            Enumerable.Range(1, count).Select(i => new CatalogueInstance($"{uid}.{i}", i, i == 2 ? 3 : 1)).ToList());
        List<CatalogueStudy> studies = [new("1.2.3", "PID-1", [Series("1.2.3.1", 1, 3), Series("1.2.3.2", 2, 2)]), new("1.2.4", "PID-2", [Series("1.2.4.1", 1, 1)])];

        var loaded = Catalogue.Load(System.Text.Json.JsonSerializer.Serialize(studies, SessionRecording.Json));

        Assert.Equal(["1.2.3", "1.2.4"], loaded.Select(s => s.StudyInstanceUid));
        Assert.Equal(["1.2.3.1.1", "1.2.3.1.2", "1.2.3.1.3", "1.2.3.2.1", "1.2.3.2.2", "1.2.4.1.1"],
            loaded.SelectMany(s => s.Series).SelectMany(s => s.Instances).Select(i => i.SopInstanceUid));
        Assert.Equal(3, loaded[0].Series[0].Instances[1].Frames);
        Assert.Equal(("PID-1", "MR", 2, 5), (loaded[0].PatientId, loaded[0].Series[1].Modality, loaded[0].Series[1].SeriesNumber, loaded[0].Instances));
        Assert.Throws<InvalidDataException>(() => Catalogue.Load("""[{"studyInstanceUid":"1.2.3","patientId":"P","series":[{"seriesInstanceUid":"1.2.3.1","seriesNumber":1,"modality":"CT","instances":[{"instanceNumber":1,"frames":1}]}]}]"""));
        Assert.Throws<InvalidDataException>(() => Catalogue.Load("""[{"studyInstanceUid":"1.2.3","patientId":"P","series":[]}]"""));
    }
}
