using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// The advisory editing lock expires (issue 14): on a silo whose lock lasts 5 s, doctor A holds it while renewing it
/// (as A's panel does), doctor B's panel shows "being edited by" A and B's save is refused with 409; once A stops
/// renewing (a closed laptop), the lock expires and B's panel takes it by itself, B's text is saved, and A's save is
/// then refused naming B.
/// </summary>
public sealed class ReportLockExpiryTests(ShortReportLockArchiveFixture archive) : IClassFixture<ShortReportLockArchiveFixture>
{
    [Fact]
    public async Task Lock_HolderStopsRenewing_ExpiresAfterConfiguredLifetime_SecondDoctorsPanelTakesIt()
    {
        var ct = SyntheticStudy.Create("CT", "LOCK^EXPIRY", slices: 1);
        await archive.StoreScuAsync(Path.Combine(archive.WorkDirectory, "lock-expiry"), ct.Instances);
        var study = ct.StudyInstanceUid;
        var path = $"/api/studies/{study}/report";
        var nameA = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var passwordA = await archive.CreateAccountAsync(nameA, "doctor");
        using (var rename = new HttpRequestMessage(HttpMethod.Patch, $"{archive.BaseUrl}/api/users/{nameA}")
        {
            Content = JsonContent.Create(new { displayName = "Dr Alice Expiry" }),
        })
        {
            using var renamed = await archive.Http.SendAsync(rename);
            Assert.True(renamed.IsSuccessStatusCode, $"PATCH user: {(int)renamed.StatusCode}");
        }

        var nameB = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var passwordB = await archive.CreateAccountAsync(nameB, "doctor");
        var tokenA = await archive.AccessTokenAsync(nameA, passwordA);
        var tokenB = await archive.AccessTokenAsync(nameB, passwordB);

        // A takes the lock: it lasts the configured 5 s, not the default two minutes.
        var (status, held) = await SendAsync(HttpMethod.Post, path + "/lock", tokenA);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(ShortReportLockArchiveFixture.LockLifetime, held.GetProperty("expires").GetDateTimeOffset() - held.GetProperty("since").GetDateTimeOffset());
        Assert.InRange(held.GetProperty("remainingMs").GetInt64(), 1, (long)ShortReportLockArchiveFixture.LockLifetime.TotalMilliseconds);

        // A's panel renews it every second (its heartbeat is a quarter of the lifetime) until A goes away.
        using var stopRenewing = new CancellationTokenSource();
        var renewals = Task.Run(async () =>
        {
            var refused = new List<HttpStatusCode>();
            while (!stopRenewing.IsCancellationRequested)
            {
                var (renewed, _) = await SendAsync(HttpMethod.Post, path + "/lock", tokenA);
                if (renewed != HttpStatusCode.OK)
                {
                    refused.Add(renewed);
                }

                try
                {
                    await Task.Delay(1000, stopRenewing.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return refused;
        });

        // B's panel: the banner names A, nothing is editable; B's save through the API is refused naming A.
        await using var b = await BrowserSession.StartAsync(archive.HttpPort, nameB, passwordB);
        await b.GotoAsync($"/reporting?study={study}&lang=en");
        await b.Page.Locator("body[data-ready=\"true\"]").WaitForAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(b.Page.Locator("#lock-banner")).ToBeVisibleAsync();
        Assert.Matches(@"^Being edited by Dr Alice Expiry since \d{1,2}:\d{2}", await b.Page.Locator("#lock-text").InnerTextAsync());
        Assert.Equal("other", await b.Page.Locator("body").GetAttributeAsync("data-lock"));
        Assert.True(await b.Page.Locator("#findings").GetAttributeAsync("readonly") is not null, "the second doctor can edit while A holds the lock");
        var etag = await ETagAsync(path, tokenB);
        (status, var problem) = await SendAsync(HttpMethod.Put, path, tokenB, new { language = "en", findings = "B too early." }, etag);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(nameA, problem.GetProperty("holder").GetString());
        Assert.Contains("being edited by Dr Alice Expiry", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // A goes away. The lock outlives A's last renewal by its lifetime, then B's panel (which looks again when the
        // holder's lock would expire) takes it without a reload.
        await stopRenewing.CancelAsync();
        Assert.Empty(await renewals);
        var away = Stopwatch.StartNew();
        await b.Page.Locator("body[data-lock=\"mine\"]").WaitForAsync(new() { Timeout = 20_000 });
        Assert.True(away.Elapsed >= ShortReportLockArchiveFixture.LockLifetime - TimeSpan.FromSeconds(1.5),
            $"B took the lock {away.Elapsed.TotalSeconds:0.0} s after A's last renewal: before it could have expired");
        Assert.False(await b.Page.Locator("#lock-banner").IsVisibleAsync(), "the banner stays after B took the lock");
        Assert.True(await b.Page.Locator("#findings").GetAttributeAsync("readonly") is null, "B cannot edit after taking the lock");

        // B writes; the autosave passes (the lock is B's, renewed by B's panel meanwhile).
        await b.Page.Locator("#findings").FillAsync("Doctor B's findings after the lock expired.");
        var saved = await ServerReportAsync(path, r => r.GetProperty("current") is { ValueKind: JsonValueKind.Object } c
            && c.GetProperty("findings").GetString() == "Doctor B's findings after the lock expired.");
        Assert.Equal(nameB, saved.GetProperty("current").GetProperty("author").GetString());

        // A comes back: A's save with the current ETag is refused, naming B; the lock is B's.
        (status, problem) = await SendAsync(HttpMethod.Put, path, tokenA, new { language = "en", findings = "A overwrites." }, await ETagAsync(path, tokenA));
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(nameB, problem.GetProperty("holder").GetString());
        (_, held) = await SendAsync(HttpMethod.Get, path + "/lock", tokenA);
        Assert.Equal(nameB, held.GetProperty("holder").GetString());
    }

    private async Task<string> ETagAsync(string path, string token)
    {
        using var response = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, path, token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.ETag!.ToString();
    }

    /// <summary>The report as the API gives it (as admin), polled until <paramref name="done"/> holds (at most 20 s).</summary>
    private async Task<JsonElement> ServerReportAsync(string path, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        JsonElement report;
        do
        {
            using var response = await archive.Http.GetAsync(archive.BaseUrl + path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            report = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (done(report))
            {
                return report;
            }

            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail("the server never held the expected report; last: " + report);
        return report;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string token, object? json = null, string? ifMatch = null)
    {
        var (status, body, _) = await archive.SendJsonAsync(method, path, token, json, ifMatch, problemDetailsOnError: false);
        return (status, body);
    }
}
