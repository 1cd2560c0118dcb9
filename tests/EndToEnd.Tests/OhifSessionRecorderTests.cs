using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Playwright;
using Pacs.Dicom;
using Pacs.Loadtests.ReadersLoad;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Records what OHIF (the version the gateway serves, Gateway/Viewer/ohif.pin) sends when a radiologist opens a study:
/// Debian's chromium driven by Playwright signs in, opens the study list, selects a CT study of two series, opens it
/// in the Basic Viewer, waits until the first series is shown and loaded, then double-clicks the second series'
/// thumbnail. Every DICOMweb request is kept in order with its timing, abstracted (UIDs as placeholders) into the
/// recording the readers load generator replays (loadtests/ReadersLoad/ohif-3.13-session.json). The test writes the
/// recording into its output folder; with PACS_OHIF_RECORDING=FILE set it writes it there as well, which is how the
/// checked-in recording was made:
/// <c>PACS_OHIF_RECORDING=$PWD/loadtests/ReadersLoad/ohif-3.13-session.json dotnet test ... --filter OhifSessionRecorderTests</c>.
/// </summary>
[Collection(ReadersArchiveCollection.Name)]
public sealed class OhifSessionRecorderTests(ArchiveFixture archive)
{
    private const string Chromium = "/usr/bin/chromium";
    private const string DicomWebRoot = "/dicom-web/";

    [Fact]
    public async Task Record_CtStudyOfTwoSeriesOpenedInOhif_CapturesListSeriesMetadataThumbnailsAndEveryFrame()
    {
        var first = SyntheticStudy.Create("CT", "READERS^RECORDING", slices: 20);
        var second = SyntheticStudy.Create("CT", "READERS^RECORDING", slices: 12);
        // One study of two series: the second series joins the first one's study and patient.
        foreach (var instance in second.Instances)
        {
            var ds = instance.Dataset;
            ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, first.StudyInstanceUid);
            ds.SetString(DicomTag.PatientID, DicomVR.LO, first.PatientId);
            ds.SetString(DicomTag.AccessionNumber, DicomVR.SH, first.PatientId[4..]);
            ds.SetString(DicomTag.StudyDescription, DicomVR.LO, first.StudyDescription);
            ds.SetString(DicomTag.SeriesNumber, DicomVR.IS, "2");
            ds.SetString(DicomTag.SeriesDescription, DicomVR.LO, "CT coronal 12 slices");
        }
        await archive.StoreScuAsync(Path.Combine(archive.WorkDirectory, "recording-study"), first.Instances.Concat(second.Instances));

        var seriesUids = new[] { first.SeriesInstanceUid, second.SeriesInstanceUid };
        var instanceUids = first.Instances.Concat(second.Instances).Select(i => i.Dataset.GetString(DicomTag.SOPInstanceUID)!).ToHashSet();

        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: .ci/run installs Debian's chromium");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Timeout = 60_000,
            Args = ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new()
        {
            BaseURL = archive.BaseUrl,
            ViewportSize = new() { Width = 1280, Height = 800 },
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();

        // Sign in as a user does (the /login page), then record from the study list on.
        await page.GotoAsync("/login?returnUrl=%2F");
        await page.Locator("input[name=username]").FillAsync("admin");
        await page.Locator("input[name=password]").FillAsync(ArchiveFixture.AdminPassword);
        await page.Locator("#login-form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal), new() { Timeout = 30_000 });

        // Each DICOMweb request as the page issued it and when it ended (finished or failed), on the clock of this test.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var requests = new ConcurrentQueue<(IRequest Request, bool AfterUserAction, double IssuedMs)>();
        var ended = new ConcurrentDictionary<IRequest, double>();
        var afterUserAction = false;
        page.Request += (_, r) =>
        {
            if (new Uri(r.Url).AbsolutePath.StartsWith(DicomWebRoot, StringComparison.Ordinal))
            {
                requests.Enqueue((r, Volatile.Read(ref afterUserAction), clock.Elapsed.TotalMilliseconds));
            }
        };
        page.RequestFinished += (_, r) => ended.TryAdd(r, clock.Elapsed.TotalMilliseconds);
        var cancelled = new ConcurrentDictionary<IRequest, bool>();
        page.RequestFailed += (_, r) =>
        {
            ended.TryAdd(r, clock.Elapsed.TotalMilliseconds);
            // net::ERR_ABORTED is the page's own cancellation (the study list's previews when the viewer opens, prefetches
            // overtaken), not a failure of the server.
            if (r.Failure == "net::ERR_ABORTED")
            {
                cancelled.TryAdd(r, true);
            }
        };
        var firstSeriesSops = first.Instances.Select(i => i.Dataset.GetString(DicomTag.SOPInstanceUID)!).ToList();

        await page.GotoAsync("/");
        var row = page.Locator("tr", new() { HasText = first.StudyDescription });
        await row.ClickAsync(new() { Timeout = 30_000 });
        await page.Locator("[data-cy=\"study-browser-thumbnail\"]").First.WaitForAsync(new() { Timeout = 30_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Basic Viewer", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/viewer?", StringComparison.Ordinal), new() { Timeout = 30_000 });
        await page.Locator(".viewport-element canvas").First.WaitForAsync(new() { Timeout = 60_000 });
        // OHIF shows the first image, then fetches the rest of the stack: the reader moves on once all of it is loaded.
        var loadedBy = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < loadedBy && !firstSeriesSops.All(sop => ended.Keys.Any(r => r.Url.Contains($"/instances/{sop}/frames/", StringComparison.Ordinal))))
        {
            await Task.Delay(250);
        }

        await SettleAsync(page);

        // The reader looks at the other series: a double click on its thumbnail loads it into the viewport.
        Volatile.Write(ref afterUserAction, true);
        await page.Locator("[data-cy=\"study-browser-thumbnail\"]", new() { HasText = "CT coronal 12 slices" }).First.DblClickAsync();
        await SettleAsync(page);
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "ohif-recording-last.png") });

        var recorded = new List<RecordedRequest>();
        var seriesOrder = new List<string>();
        var cancelledSequences = new HashSet<int>();
        var t0 = double.NaN;
        var spans = new List<(double Start, double End)>();
        foreach (var (request, after, issued) in requests)
        {
            var abstracted = SessionRecording.Abstract(new Uri(request.Url), DicomWebRoot, first.StudyInstanceUid, first.PatientId, seriesUids, instanceUids);
            if (abstracted is not { } a)
            {
                continue;
            }

            if (cancelled.ContainsKey(request))
            {
                cancelledSequences.Add(recorded.Count + 1);
            }

            var response = await request.ResponseAsync();
            var status = response?.Status ?? 0;
            long bytes = 0;
            if (response is not null)
            {
                try { bytes = (await request.SizesAsync()).ResponseBodySize; }
                catch (PlaywrightException) { /* cancelled by the page before its body came */ }
            }
            if (double.IsNaN(t0))
            {
                t0 = issued;
            }

            var start = issued - t0;
            var end = ended.TryGetValue(request, out var e) ? e - t0 : start;
            var duration = end - start;
            var uri = new Uri(request.Url);
            var seriesUid = UidAfter(uri, "series");
            int? series = null;
            if (seriesUid is not null && seriesUids.Contains(seriesUid))
            {
                if (!seriesOrder.Contains(seriesUid))
                {
                    seriesOrder.Add(seriesUid);
                }

                series = seriesOrder.IndexOf(seriesUid);
            }
            int? instance = null;
            if (UidAfter(uri, "instances") is { } sop)
            {
                var position = first.Instances.Concat(second.Instances).ToList().FindIndex(i => i.Dataset.GetString(DicomTag.SOPInstanceUID) == sop);
                if (position >= 0)
                {
                    instance = position < first.Instances.Count ? position : position - first.Instances.Count;
                }
            }
            // Issued and not yet ended when this one was issued: what the page asks for at once (the browser puts at
            // most 6 of them on connections to one host, HTTP/1.1; the rest wait in its queue).
            var pending = 1 + spans.Count(s => s.Start <= start && s.End > start);
            spans.Add((start, end));
            recorded.Add(new RecordedRequest(recorded.Count + 1, a.Kind, request.Method, a.Path, request.Headers.GetValueOrDefault("accept"),
                series, instance, after, Math.Round(start, 1), Math.Round(duration, 1), status, bytes, pending));
        }

        var counts = seriesOrder.Select((uid, i) => new RecordedSeries(i, uid == first.SeriesInstanceUid ? first.Instances.Count : second.Instances.Count)).ToList();
        var recording = new SessionRecording(
            "OHIF " + OhifVersion(archive.RepoRoot) + " in Debian's chromium (headless, Playwright), HTTP/1.1",
            "A reader signs in, opens the study list, selects a CT study of two series (20 and 12 slices, 128x128 16-bit), opens it "
            + "in the Basic Viewer, waits until the first series is loaded, then double-clicks the second series' thumbnail.",
            DateTime.UtcNow, DicomWebRoot, 6, counts, recorded);
        var json = recording.ToJson();
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "ohif-session.json"), json);
        if (Environment.GetEnvironmentVariable("PACS_OHIF_RECORDING") is { Length: > 0 } target)
        {
            await File.WriteAllTextAsync(target, json);
        }

        // What the load generator needs from a session: it parses, and it holds every step of opening a study.
        var parsed = SessionRecording.Parse(json);
        var kinds = parsed.Requests.Select(r => r.Kind).ToHashSet();
        Assert.Contains(RequestKind.StudyList, kinds);
        Assert.Contains(RequestKind.StudySeries, kinds);
        Assert.True(kinds.Contains(RequestKind.SeriesMetadata) || kinds.Contains(RequestKind.StudyMetadata), "no metadata request: " + string.Join(", ", kinds));
        Assert.Contains(RequestKind.Thumbnail, kinds);
        Assert.Equal(2, parsed.Series.Count);
        Assert.All(parsed.Requests, r => Assert.True(r.Status is 200 or 204 or 304 || (r.Status == 0 && cancelledSequences.Contains(r.Sequence)),
            $"request {r.Sequence} {r.Path}: {r.Status}"));
        for (var s = 0; s < 2; s++)
        {
            var framed = parsed.Requests.Where(r => r.Kind == RequestKind.Frame && r.Series == s).Select(r => r.Instance).Distinct().Count();
            Assert.True(framed == parsed.Series[s].Instances, $"series {s}: frames of {framed} of {parsed.Series[s].Instances} instances requested");
        }
        // OHIF asks for a stack's frames at once, not one after another: the load generator's parallel replay rests on it.
        Assert.True(parsed.Requests.Where(r => r.Kind == RequestKind.Frame).Max(r => r.PendingAtIssue) > 1, "OHIF asked for frames one at a time");
    }

    private static string? UidAfter(Uri uri, string segment)
    {
        var parts = uri.AbsolutePath.Split('/');
        var i = Array.IndexOf(parts, segment);
        return i >= 0 && i + 1 < parts.Length ? Uri.UnescapeDataString(parts[i + 1]) : null;
    }

    private static string OhifVersion(string repoRoot) =>
        File.ReadLines(Path.Combine(repoRoot, "Gateway", "Viewer", "ohif.pin")).FirstOrDefault(l => l.StartsWith("version=", StringComparison.Ordinal))?[8..] ?? "3.13";

    private static async Task SettleAsync(IPage page)
    {
        try
        {
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle, new() { Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            // Still busy after 30 s: the assertions say what is missing.
        }
        await Task.Delay(1000);
    }
}

/// <summary>An archive of its own for the readers load tests and the OHIF recording (their studies stay out of other listings).</summary>
[CollectionDefinition(Name)]
public sealed class ReadersArchiveCollection : ICollectionFixture<ArchiveFixture>
{
    public const string Name = "readers archive";
}
