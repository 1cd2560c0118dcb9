using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Playwright;
using Pacs.Dicom;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// The OHIF viewer served by the live gateway, in Debian's chromium driven by Playwright (the system executable, no
/// browser download): the study list at /, a CT and an MR study opened from it the way a reader does (row clicked,
/// series previewed, "Basic Viewer" clicked), the image rendered (pixels measured on a screenshot of the viewport, not
/// the DOM), thumbnails, further frames loaded by scrolling, and a network log without one failed request.
/// Screenshots land in viewer-screenshots/ of the test output.
/// </summary>
[Collection(ViewerArchiveCollection.Name)]
public sealed class ViewerBrowserTests(ArchiveFixture archive)
{
    private static readonly SemaphoreSlim StoreLock = new(1, 1);
    private static (SyntheticStudy Ct, SyntheticStudy Mr)? _stored;

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "viewer-screenshots");

    /// <summary>A CT series of 20 slices and an MR series of 12, stored once through C-STORE (storescu).</summary>
    private async Task<(SyntheticStudy Ct, SyntheticStudy Mr)> StoredAsync()
    {
        await StoreLock.WaitAsync();
        try
        {
            if (_stored is { } done)
            {
                return done;
            }

            var ct = SyntheticStudy.Create("CT", "VIEWER^CT PHANTOM", slices: 20);
            var mr = SyntheticStudy.Create("MR", "VIEWER^MR PHANTOM", slices: 12);
            await archive.StoreScuAsync(Path.Combine(archive.WorkDirectory, "viewer-studies"), ct.Instances.Concat(mr.Instances));
            _stored = (ct, mr);
            return _stored.Value;
        }
        finally
        {
            StoreLock.Release();
        }
    }

    [Fact]
    public async Task StudyList_Root_ShowsStoredStudiesWithModalityAndInstanceCount()
    {
        var (ct, mr) = await StoredAsync();
        await using var session = await BrowserSession.StartAsync(archive.HttpPort);
        var page = session.Page;
        await session.GotoAsync("/");

        foreach (var (study, count) in new[] { (ct, 20), (mr, 12) })
        {
            var row = page.Locator("tr, [role=row]", new() { HasText = study.StudyDescription });
            await row.First.WaitForAsync(new() { Timeout = 30_000 });
            var cells = (await row.First.Locator("td").AllInnerTextsAsync()).Select(t => t.Trim()).ToList();
            Assert.Contains(study.Modality, cells);
            Assert.Contains(count.ToString(CultureInfo.InvariantCulture), cells);
        }
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "study-list.png") });
        Assert.True(await page.EvaluateAsync<bool>("() => window.crossOriginIsolated"), "the document is not cross-origin isolated (COOP/COEP)");
        session.AssertNoFailedRequests();
        await session.AssertRanUnderContentSecurityPolicyAsync();
    }

    [Fact]
    public async Task Viewer_CtStudy_RendersThumbnailsAndWheelShowsFurtherServedFrames()
    {
        var (ct, _) = await StoredAsync();
        await using var session = await BrowserSession.StartAsync(archive.HttpPort);
        var page = session.Page;
        await OpenFromStudyListAsync(session, ct, seriesInstances: 20);

        var share = await session.WaitForRenderedImageAsync();
        Assert.True(share > 0.8, $"viewport not rendered: share of pixels brighter than 40 in its central half is {share:0.00}");
        await session.WaitForThumbnailAsync();
        await session.SettleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "ct-first-slice.png") });

        // OHIF 3.13 requests the frames of the whole stack once the first image is up, so the wheel is checked by what
        // it shows: a later slice, different pixels, and that slice's frame served by our WADO-RS frames endpoint.
        var (firstIndex, total, _) = await session.ImageIndexAsync();
        Assert.Equal((1, 20), (firstIndex, total));
        var firstPixels = await session.ViewportPngAsync();
        await session.ScrollViewportAsync(ticks: 12);
        await session.SettleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "ct-scrolled.png") });
        var (index, _, instanceNumber) = await session.ImageIndexAsync();
        Assert.True(index >= 8, $"the wheel moved the stack from slice 1 to {index} only");
        var scrolledPixels = await session.ViewportPngAsync();
        Assert.False(firstPixels.SequenceEqual(scrolledPixels), "the viewport shows the same pixels after scrolling");
        Assert.True(await session.ViewportShareAsync() > 0.8, "viewport went dark after scrolling");
        var shown = ct.Instances.Single(i => i.Dataset.GetString(DicomTag.InstanceNumber) == instanceNumber.ToString(CultureInfo.InvariantCulture));
        var shownSop = shown.Dataset.GetString(DicomTag.SOPInstanceUID)!;
        Assert.Contains(session.FramesServed, url => url.Contains($"/instances/{shownSop}/frames/1", StringComparison.Ordinal));
        // Every slice of the series came through the frames endpoint, each once.
        var sops = ct.Instances.Select(i => i.Dataset.GetString(DicomTag.SOPInstanceUID)!).ToHashSet();
        Assert.Equal(sops.Count, session.FramesServed.Count(url => sops.Any(sop => url.Contains($"/instances/{sop}/frames/", StringComparison.Ordinal))));
        session.AssertNoFailedRequests();
        await session.AssertRanUnderContentSecurityPolicyAsync();
    }

    [Fact]
    public async Task Viewer_MrStudy_RendersWithThumbnails()
    {
        var (_, mr) = await StoredAsync();
        await using var session = await BrowserSession.StartAsync(archive.HttpPort);
        var page = session.Page;
        await OpenFromStudyListAsync(session, mr, seriesInstances: 12);

        var share = await session.WaitForRenderedImageAsync();
        Assert.True(share > 0.8, $"viewport not rendered: share of pixels brighter than 40 in its central half is {share:0.00}");
        await session.WaitForThumbnailAsync();
        await session.SettleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "mr.png") });
        Assert.True(session.FrameRequests > 0, "no frame was requested");
        session.AssertNoFailedRequests();
        await session.AssertRanUnderContentSecurityPolicyAsync();
    }

    /// <summary>
    /// A study stored compressed (issue 17 §2): MR_small uncompressed, and its JPEG-LS and JPEG 2000 lossless copies, as
    /// three series stored by storescu in their own transfer syntaxes. OHIF's study browser shows a thumbnail per series
    /// from our /thumbnail, which decodes the compressed ones: each loads and shows the pixels of the uncompressed
    /// series' thumbnail (not blank, not the icon drawn for what cannot be decoded).
    /// </summary>
    [Fact]
    public async Task Viewer_CompressedStudy_ThumbnailsShowTheDecodedImages()
    {
        const string description = "VIEWER COMPRESSED THUMBNAILS";
        string[] series = ["MR UNCOMPRESSED", "MR JPEG-LS LOSSLESS", "MR JPEG 2000 LOSSLESS"];
        string[] files = ["MR_small.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm"];
        var study = DicomUidGenerator.Generate();
        var stored = new List<DicomFile>();
        for (var i = 0; i < files.Length; i++)
        {
            var source = DicomFile.Open(await File.ReadAllBytesAsync(Path.Combine(archive.RepoRoot, "tests", "Dicom.Tests", "Corpus", "test_files", files[i])));
            var ds = source.Dataset;
            ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, study);
            ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
            ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
            ds.SetString(DicomTag.StudyDescription, DicomVR.LO, description);
            ds.SetString(DicomTag.SeriesDescription, DicomVR.LO, series[i]);
            ds.SetString(DicomTag.SeriesNumber, DicomVR.IS, (i + 1).ToString(CultureInfo.InvariantCulture));
            stored.Add(DicomFile.Create(ds, source.TransferSyntax));
        }
        Assert.False(stored[1].TransferSyntax.IsNative || stored[2].TransferSyntax.IsNative);
        // storescu proposes one syntax per SOP class: each file goes on an association of its own, the compressed ones
        // proposed in their own syntax (-xt JPEG-LS lossless, -xv JPEG 2000 lossless), so that they are stored compressed.
        string[] propose = ["", "-xt", "-xv"];
        for (var i = 0; i < stored.Count; i++)
        {
            await archive.StoreScuAsync(Path.Combine(archive.WorkDirectory, "viewer-compressed"), [stored[i]], propose[i] == "" ? [] : [propose[i]]);
        }

        await using var session = await BrowserSession.StartAsync(archive.HttpPort);
        var page = session.Page;
        await session.GotoAsync("/");
        await page.Locator("tr", new() { HasText = description }).ClickAsync(new() { Timeout = 30_000 });
        foreach (var name in series)
        {
            await page.Locator("[data-cy=\"study-browser-thumbnail\"]", new() { HasText = name }).WaitForAsync(new() { Timeout = 30_000 });
        }

        await page.WaitForFunctionAsync("""
            () => [...document.querySelectorAll('[data-cy="study-browser-thumbnail"] img')].filter(img => img.complete && img.naturalWidth > 0).length >= 3
            """, null, new() { Timeout = 30_000, PollingInterval = 250 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "compressed-thumbnails.png") });

        // Each thumbnail's grey levels (red channel), read back through a canvas (same origin: not tainted).
        var read = await page.EvaluateAsync<System.Text.Json.JsonElement>("""
            () => [...document.querySelectorAll('[data-cy="study-browser-thumbnail"]')].map(t => {
              const img = t.querySelector('img');
              const c = document.createElement('canvas');
              c.width = img.naturalWidth; c.height = img.naturalHeight;
              const g = c.getContext('2d');
              g.drawImage(img, 0, 0);
              const d = g.getImageData(0, 0, c.width, c.height).data;
              const grey = [];
              for (let i = 0; i < d.length; i += 4) grey.push(d[i]);
              return { text: t.innerText, width: c.width, height: c.height, grey };
            })
            """);
        var thumbnails = read.EnumerateArray().Select(t => new Thumbnail(t.GetProperty("text").GetString() ?? "", t.GetProperty("width").GetInt32(),
            t.GetProperty("height").GetInt32(), t.GetProperty("grey").EnumerateArray().Select(v => v.GetInt32()).ToArray())).ToList();
        Thumbnail Of(string name) => thumbnails.Single(t => t.Text.Contains(name, StringComparison.Ordinal));
        var reference = Of(series[0]);
        var lit = reference.Grey.Count(v => v > 40) / (double)reference.Grey.Length;
        Assert.True(lit > 0.2, $"the uncompressed series' thumbnail looks blank ({lit:0.00} lit)");
        Assert.True(reference.Grey.Max() - reference.Grey.Min() > 100, "the uncompressed series' thumbnail has no contrast");
        foreach (var name in series.Skip(1))
        {
            // The same pixels as the uncompressed series' thumbnail (lossless copies): neither blank nor the grey page
            // icon /thumbnail draws for what it cannot decode.
            var thumbnail = Of(name);
            Assert.Equal((reference.Width, reference.Height), (thumbnail.Width, thumbnail.Height));
            var differ = thumbnail.Grey.Zip(reference.Grey).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(differ <= 8, $"{name}: the thumbnail differs from the uncompressed one by up to {differ} grey levels");
        }
        session.AssertNoFailedRequests();
    }

    private sealed record Thumbnail(string Text, int Width, int Height, int[] Grey);

    /// <summary>
    /// Opens the study as a reader does: the study list at /, the study's row found by its description and clicked
    /// (OHIF 3.13 selects it and shows a preview beside the list: the study's series as thumbnails and the workflows
    /// that fit it), then the "Basic Viewer" workflow button.
    /// </summary>
    private static async Task OpenFromStudyListAsync(BrowserSession session, SyntheticStudy study, int seriesInstances)
    {
        var page = session.Page;
        await session.GotoAsync("/");

        var row = page.Locator("tr", new() { HasText = study.StudyDescription });
        await row.ClickAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(row).ToHaveAttributeAsync("aria-selected", "true");

        // The preview lists the study's series from QIDO-RS (PS3.18 10.6), each with its modality, its instance count
        // and a thumbnail from our /thumbnail (PS3.18 10.4.1.1.4).
        var seriesDescription = study.Instances[0].Dataset.GetString(DicomTag.SeriesDescription)!;
        var thumbnail = page.Locator("[data-cy=\"study-browser-thumbnail\"]", new() { HasText = seriesDescription });
        await thumbnail.WaitForAsync(new() { Timeout = 30_000 });
        var lines = (await thumbnail.InnerTextAsync()).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(study.Modality, lines);
        Assert.Contains(seriesInstances.ToString(CultureInfo.InvariantCulture), lines);
        await session.WaitForThumbnailAsync();

        var workflow = page.GetByRole(AriaRole.Button, new() { Name = "Basic Viewer", Exact = true });
        await Assertions.Expect(workflow).ToBeEnabledAsync(new() { Timeout = 10_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, $"study-list-{study.Modality.ToLowerInvariant()}-preview.png") });
        await workflow.ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/viewer?", StringComparison.Ordinal), new() { Timeout = 30_000 });
        Assert.Contains($"StudyInstanceUIDs={study.StudyInstanceUid}", page.Url, StringComparison.Ordinal);
    }
}

/// <summary>
/// An archive of its own for the viewer and dicomweb-client tests: they store studies of their own, which the exact
/// corpus listings of the DIMSE tests must not see.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ViewerArchiveCollection : ICollectionFixture<ArchiveFixture>
{
    public const string Name = "viewer archive";
}
