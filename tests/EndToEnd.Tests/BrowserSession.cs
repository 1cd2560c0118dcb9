using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Playwright;

namespace Pacs.EndToEnd.Tests;

/// <summary>One browser with one page on the gateway, and the network log of that page (ViewerBrowserTests, ReportingPagesBrowserTests).</summary>
internal sealed class BrowserSession : IAsyncDisposable
{
    private const string Chromium = "/usr/bin/chromium";
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
            if (r.Url.Contains("/frames/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _frameRequests);
            }
        };
        page.Response += (_, r) =>
        {
            _log.Enqueue($"<- {r.Status} {r.Url}");
            if (r.Status >= 400)
            {
                _failures.Enqueue($"{r.Status} {r.Request.Method} {r.Url}");
            }

            if (r.Status == 200 && r.Url.Contains("/frames/", StringComparison.Ordinal))
            {
                _framesServed.Enqueue(r.Url);
            }
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
            if (m.Type is "error" or "warning")
            {
                _log.Enqueue($"console {m.Type}: {m.Text}");
            }
            // Chromium reports each CSP refusal on the console too, including those of workers.
            if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                _cspConsole.Enqueue(m.Text);
            }
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
        Directory.CreateDirectory(ViewerBrowserTests.ScreenshotDirectory);
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
        if (username is not null)
        {
            await session.LogInAsync(username, password);
        }

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
            if (share > 0.8)
            {
                return share;
            }

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
        await File.WriteAllLinesAsync(Path.Combine(ViewerBrowserTests.ScreenshotDirectory, $"network-{stamp}.log"), _log);
        await Page.ScreenshotAsync(new() { Path = Path.Combine(ViewerBrowserTests.ScreenshotDirectory, $"last-{stamp}.png") });
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
