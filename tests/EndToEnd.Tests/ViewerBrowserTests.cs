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
    private const string Chromium = "/usr/bin/chromium";
    private static readonly SemaphoreSlim StoreLock = new(1, 1);
    private static (SyntheticStudy Ct, SyntheticStudy Mr)? _stored;

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "viewer-screenshots");

    /// <summary>A CT series of 20 slices and an MR series of 12, stored once through C-STORE (storescu).</summary>
    private async Task<(SyntheticStudy Ct, SyntheticStudy Mr)> StoredAsync()
    {
        await StoreLock.WaitAsync();
        try
        {
            if (_stored is { } done) return done;
            var ct = SyntheticStudy.Create("CT", "VIEWER^CT PHANTOM", slices: 20);
            var mr = SyntheticStudy.Create("MR", "VIEWER^MR PHANTOM", slices: 12);
            var dir = Path.Combine(archive.WorkDirectory, "viewer-studies");
            Directory.CreateDirectory(dir);
            var files = new List<string>();
            foreach (var instance in ct.Instances.Concat(mr.Instances))
            {
                var path = Path.Combine(dir, instance.Dataset.GetString(DicomTag.SOPInstanceUID) + ".dcm");
                await File.WriteAllBytesAsync(path, instance.ToBytes());
                files.Add(path);
            }
            var (code, output) = await ChildProcess.RunAsync("storescu",
                ["-nh", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", archive.DicomPort.ToString(CultureInfo.InvariantCulture), .. files], 120);
            Assert.True(code == 0, "storescu failed:\n" + output);
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

    /// <summary>One browser with one page on the gateway, and the network log of that page.</summary>
    internal sealed class BrowserSession : IAsyncDisposable
    {
        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;
        private readonly ConcurrentQueue<string> _failures = new();
        private readonly ConcurrentQueue<string> _log = new();
        private readonly ConcurrentQueue<string> _framesServed = new();
        private readonly ConcurrentQueue<string> _cspConsole = new();
        private int _frameRequests;

        private BrowserSession(IPlaywright playwright, IBrowser browser, IPage page)
        {
            _playwright = playwright;
            _browser = browser;
            Page = page;
            page.Request += (_, r) =>
            {
                _log.Enqueue($"-> {r.Method} {r.Url}");
                if (r.Url.Contains("/frames/", StringComparison.Ordinal)) Interlocked.Increment(ref _frameRequests);
            };
            page.Response += (_, r) =>
            {
                _log.Enqueue($"<- {r.Status} {r.Url}");
                if (r.Status >= 400) _failures.Enqueue($"{r.Status} {r.Request.Method} {r.Url}");
                if (r.Status == 200 && r.Url.Contains("/frames/", StringComparison.Ordinal)) _framesServed.Enqueue(r.Url);
            };
            page.RequestFailed += (_, r) =>
            {
                // OHIF cancels frame requests it no longer needs (prefetch and thumbnails overtaken by the viewport):
                // net::ERR_ABORTED is the page's own cancellation, not a failure of the server (a cut response is
                // ERR_CONNECTION_RESET, ERR_EMPTY_RESPONSE or ERR_INCOMPLETE_CHUNKED_ENCODING). It shows only with
                // Cache-Control: no-store; a cacheable response goes on into the HTTP cache after the page lets go.
                // What the viewer shows is asserted on the pixels.
                if (r.Failure == "net::ERR_ABORTED" && r.Url.Contains("/frames/", StringComparison.Ordinal))
                {
                    _log.Enqueue($"cancelled by the page: {r.Method} {r.Url}");
                    return;
                }

                _failures.Enqueue($"failed ({r.Failure}) {r.Method} {r.Url}");
            };
            page.Console += (_, m) =>
            {
                if (m.Type is "error" or "warning") _log.Enqueue($"console {m.Type}: {m.Text}");
                // Chromium reports each CSP refusal on the console too, including those of workers.
                if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal)) _cspConsole.Enqueue(m.Text);
            };
            page.PageError += (_, e) => _log.Enqueue("page error: " + e);
        }

        public IPage Page { get; }
        public int FrameRequests => Volatile.Read(ref _frameRequests);
        public IReadOnlyCollection<string> FramesServed => _framesServed;

        /// <summary>The viewport overlay's "I: n (k/N)": stack position k of N, showing instance number n.</summary>
        public async Task<(int Index, int Total, int InstanceNumber)> ImageIndexAsync()
        {
            var text = await Page.Locator("[data-cy=\"viewport-overlay-bottom-right\"]").First.InnerTextAsync();
            var m = System.Text.RegularExpressions.Regex.Match(text, @"I:\s*(\d+)\s*\((\d+)/(\d+)\)");
            Assert.True(m.Success, $"no image index in the viewport overlay: '{text}'");
            int N(int g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
            return (N(2), N(3), N(1));
        }

        /// <summary>The Content-Security-Policy header of the last document navigated to.</summary>
        public string? DocumentPolicy { get; private set; }

        /// <summary>Navigates and fails at once, with the gateway's answer, when the page itself is not served.</summary>
        public async Task GotoAsync(string url)
        {
            var response = await Page.GotoAsync(url);
            Assert.NotNull(response);
            Assert.True(response.Ok, $"GET {url}: {response.Status}\n{await response.TextAsync()}");
            DocumentPolicy = await response.HeaderValueAsync("content-security-policy");
        }

        /// <summary>The viewer ran under its CSP (header present, with the parts OHIF needs) and broke none of it.</summary>
        public async Task AssertRanUnderContentSecurityPolicyAsync()
        {
            Assert.NotNull(DocumentPolicy);
            Assert.Contains("'wasm-unsafe-eval'", DocumentPolicy, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'self'", DocumentPolicy, StringComparison.Ordinal);
            Assert.DoesNotContain("'unsafe-eval'", DocumentPolicy, StringComparison.Ordinal);
            var violations = await Page.EvaluateAsync<string[]>("() => window.__cspViolations ?? []");
            Assert.True(violations.Length == 0 && _cspConsole.IsEmpty, "CSP violations:\n" + string.Join('\n', violations.Concat(_cspConsole)));
        }

        public Task<byte[]> ViewportPngAsync() => Page.Locator(".viewport-element canvas").First.ScreenshotAsync(new() { Timeout = 10_000 });

        /// <summary>Signs in through the gateway's /login page, as a user does, and waits to be sent back to <paramref name="returnUrl"/>.</summary>
        public async Task LogInAsync(string username, string password, string returnUrl = "/")
        {
            await GotoAsync("/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
            await Page.Locator("input[name=username]").FillAsync(username);
            await Page.Locator("input[name=password]").FillAsync(password);
            await Page.Locator("#login-form button[type=submit]").ClickAsync();
            await Page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal), new() { Timeout = 30_000 });
        }

        /// <summary>A browser on the gateway, signed in as <paramref name="username"/> (the admin by default; null: not signed in).</summary>
        public static async Task<BrowserSession> StartAsync(int port, string? username = "admin", string password = ArchiveFixture.AdminPassword)
        {
            Directory.CreateDirectory(ScreenshotDirectory);
            Assert.True(File.Exists(Chromium), $"{Chromium} is missing: .ci/run installs Debian's chromium");
            var playwright = await Playwright.CreateAsync();
            var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = Chromium,
                Headless = true,
                Timeout = 60_000,
                // What works on these machines (shared/notes/ohif-in-headless-chromium.md); WebGL2 comes from SwiftShader.
                Args = ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            var context = await browser.NewContextAsync(new()
            {
                BaseURL = $"http://127.0.0.1:{port}",
                ViewportSize = new() { Width = 1280, Height = 800 },
            });
            context.SetDefaultTimeout(60_000);
            // Every Content-Security-Policy violation of the page is kept on the window (CSP 3 "securitypolicyviolation"
            // events), so that a test can prove OHIF needed nothing the policy refuses.
            await context.AddInitScriptAsync("""
                window.__cspViolations = [];
                document.addEventListener('securitypolicyviolation', e =>
                  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`));
                """);
            var session = new BrowserSession(playwright, browser, await context.NewPageAsync());
            if (username is not null) await session.LogInAsync(username, password);
            return session;
        }

        /// <summary>Waits (bounded) until the viewport's central half is lit, and returns the share measured last.</summary>
        public async Task<double> WaitForRenderedImageAsync()
        {
            await Page.Locator(".viewport-element canvas").First.WaitForAsync(new() { Timeout = 60_000 });
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
            double share;
            do
            {
                share = await ViewportShareAsync();
                if (share > 0.8) return share;
                await Task.Delay(500);
            }
            while (DateTime.UtcNow < deadline);
            return share;
        }

        public async Task WaitForThumbnailAsync()
        {
            // A thumbnail is an <img> in the study browser whose bytes came from our /thumbnail and decoded.
            await Page.WaitForFunctionAsync("""
                () => [...document.querySelectorAll('[data-cy="study-browser-thumbnail"] img, [data-cy="thumbnail-list"] img')]
                        .some(img => img.complete && img.naturalWidth > 0)
                """, null, new() { Timeout = 30_000, PollingInterval = 250 });
        }

        /// <summary>Share of pixels with gray above 40 in the central half of a screenshot of the first viewport.</summary>
        public async Task<double> ViewportShareAsync()
        {
            var png = await ViewportPngAsync();
            return await Page.EvaluateAsync<double>("""
                async (b64) => {
                  const img = new Image();
                  img.src = 'data:image/png;base64,' + b64;
                  await img.decode();
                  const c = document.createElement('canvas');
                  c.width = img.naturalWidth; c.height = img.naturalHeight;
                  const g = c.getContext('2d');
                  g.drawImage(img, 0, 0);
                  const x0 = Math.floor(c.width / 4), y0 = Math.floor(c.height / 4);
                  const w = Math.max(1, Math.floor(c.width / 2)), h = Math.max(1, Math.floor(c.height / 2));
                  const d = g.getImageData(x0, y0, w, h).data;
                  let lit = 0;
                  for (let i = 0; i < d.length; i += 4) if ((d[i] + d[i + 1] + d[i + 2]) / 3 > 40) lit++;
                  return lit / (d.length / 4);
                }
                """, Convert.ToBase64String(png));
        }

        public async Task ScrollViewportAsync(int ticks)
        {
            var box = await Page.Locator(".viewport-element").First.BoundingBoxAsync();
            Assert.NotNull(box);
            await Page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
            for (var i = 0; i < ticks; i++)
            {
                await Page.Mouse.WheelAsync(0, 120);
                await Task.Delay(150);
            }
        }

        /// <summary>Network idle (bounded), then a short pause for the last paint.</summary>
        public async Task SettleAsync()
        {
            try
            {
                await Page.WaitForLoadStateAsync(LoadState.NetworkIdle, new() { Timeout = 15_000 });
            }
            catch (TimeoutException)
            {
                // Still busy after 15 s: the assertions that follow say what was missing.
            }
            await Task.Delay(500);
        }

        public void AssertNoFailedRequests() =>
            Assert.True(_failures.IsEmpty, "failed requests:\n" + string.Join('\n', _failures) + "\n--- network log ---\n" + string.Join('\n', _log.TakeLast(200)));

        public async ValueTask DisposeAsync()
        {
            var stamp = DateTime.UtcNow.ToString("HHmmssfff", CultureInfo.InvariantCulture);
            await File.WriteAllLinesAsync(Path.Combine(ScreenshotDirectory, $"network-{stamp}.log"), _log);
            await Page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, $"last-{stamp}.png") });
            await _browser.CloseAsync();
            _playwright.Dispose();
        }
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
