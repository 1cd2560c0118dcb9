using System.Net;
using System.Text.Json;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// The Orleans dashboard (issue 15) on a running archive with it on: admins get its page and live figures from the
/// silo at /admin/orleans, doctors and operators 403, no credentials 401; grain state and the log stream are not
/// served; unknown /admin paths answer 404 problem details, never the viewer's index.html (docs/operations.md,
/// "Orleans dashboard").
/// </summary>
public sealed class OrleansDashboardTests(OrleansDashboardArchiveFixture archive) : IClassFixture<OrleansDashboardArchiveFixture>
{
    private async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = archive.Request(HttpMethod.Get, path, token);
        return await archive.Anonymous.SendAsync(request);
    }

    [Fact]
    public async Task Dashboard_AdminOnly_PageAndSiloFiguresForAdmins()
    {
        var admin = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword);
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal) { ["admin"] = admin };
        foreach (var role in new[] { "doctor", "operator" })
        {
            var name = role + "-" + Guid.NewGuid().ToString("N")[..8];
            tokens[role] = await archive.AccessTokenAsync(name, await archive.CreateAccountAsync(name, role, "*"));
        }

        // The page: the package's own index.html, not the viewer's.
        using (var page = await GetAsync("/admin/orleans/", admin))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("<title>Orleans Dashboard</title>", html, StringComparison.Ordinal);
            Assert.DoesNotContain("app-config.js", html, StringComparison.Ordinal);
        }
        // Without the trailing slash: sent to the page (its assets are relative to it).
        using (var bare = await GetAsync("/admin/orleans", admin))
        {
            Assert.True(bare.StatusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.PermanentRedirect, $"{(int)bare.StatusCode}");
            Assert.EndsWith("/admin/orleans/", bare.Headers.Location?.OriginalString, StringComparison.Ordinal);
        }

        // The figures come from the silo's dashboard grain: the one silo shows up within its collection period.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using var counters = await GetAsync("/admin/orleans/DashboardCounters", admin);
            Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
            using var json = JsonDocument.Parse(await counters.Content.ReadAsStringAsync());
            if (json.RootElement.GetProperty("totalActiveHostCount").GetInt32() >= 1)
            {
                Assert.NotEqual(0, json.RootElement.GetProperty("hosts").GetArrayLength());
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "the silo never appeared in the dashboard's counters: " + json.RootElement);
            await Task.Delay(1000);
        }

        // Everyone else: 403 with a session, 401 without, for the page and the API alike.
        foreach (var path in new[] { "/admin/orleans/", "/admin/orleans/DashboardCounters", "/admin/orleans/index.min.js" })
        {
            foreach (var role in new[] { "doctor", "operator" })
            {
                using var refused = await GetAsync(path, tokens[role]);
                Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{role} {path}: {(int)refused.StatusCode}");
            }
            using var anonymous = await GetAsync(path, null);
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"anonymous {path}: {(int)anonymous.StatusCode}");
        }

        // Not served even to admins: a grain's state (patient data outside the audit trail) and the live log stream.
        using (var state = await GetAsync("/admin/orleans/GrainState?grainId=x&grainType=y", admin))
        {
            Assert.Equal(HttpStatusCode.NotFound, state.StatusCode);
            Assert.Equal("application/problem+json", state.Content.Headers.ContentType?.MediaType);
        }
        using (var trace = await GetAsync("/admin/orleans/Trace", admin))
        {
            Assert.Equal(HttpStatusCode.Forbidden, trace.StatusCode);
        }

        // Unknown paths under /admin: problem details, never the viewer's index.html.
        foreach (var path in new[] { "/admin/orleans/no-such-thing", "/admin/other" })
        {
            using var unknown = await GetAsync(path, admin);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        }
    }
}
