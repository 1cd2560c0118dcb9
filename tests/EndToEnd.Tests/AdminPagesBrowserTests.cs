using Microsoft.Playwright;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// The account and admin pages in Debian's chromium (Playwright) against the live gateway: the admin creates a doctor
/// on /admin (German, no forced password change), finds the account in the list and its creation on the Audit tab;
/// the doctor signs in and gets /account in German, changes the display name there, and is refused /admin. The
/// Templates tab's shared macros: added, changed and deleted, as doctors list them. No page breaks its
/// Content-Security-Policy.
/// </summary>
[Collection(ArchiveCollection.Name)]
public sealed class AdminPagesBrowserTests(ArchiveFixture archive)
{
    [Fact]
    public async Task AdminPage_CreatesDoctor_DoctorSeesAccountPageInGerman_AuditTabListsTheCreation()
    {
        var doctor = "doc-ui-" + Guid.NewGuid().ToString("N")[..8];
        var password = "Pw-" + Guid.NewGuid().ToString("N")[..12] + "-X9";

        await using (var admin = await BrowserSession.StartAsync(archive.HttpPort))
        {
            var page = admin.Page;
            await admin.GotoAsync("/admin?lang=en");
            await WaitReadyAsync(page);
            var form = page.Locator("#account-create");
            await form.Locator("input[name=username]").FillAsync(doctor);
            await form.Locator("input[name=displayName]").FillAsync("Dr Test");
            await form.Locator("select[name=role]").SelectOptionAsync("doctor");
            await form.Locator("select[name=language]").SelectOptionAsync("de");
            await form.Locator("input[name=password]").FillAsync(password);
            await form.Locator("input[name=mustChangePassword]").UncheckAsync();
            await form.Locator("button[type=submit]").ClickAsync();
            await Assertions.Expect(page.Locator("#account-create-status")).ToHaveTextAsync($"Account {doctor} created.", new() { Timeout = 30_000 });

            // The account directory lists it.
            await page.Locator("#account-search-text").FillAsync(doctor);
            await page.Locator("#account-search button[type=submit]").ClickAsync();
            var row = page.Locator($"#account-table tr[data-username=\"{doctor}\"]");
            await row.WaitForAsync(new() { Timeout = 30_000 });
            var rowText = await row.InnerTextAsync();
            Assert.Contains("Doctor", rowText, StringComparison.Ordinal);
            Assert.Contains("Dr Test", rowText, StringComparison.Ordinal);

            // The Audit tab: the creation (action account.change, the new account's name in its detail); the export link
            // and the chain check are there.
            await page.Locator("#tabs a[data-tab=audit]").ClickAsync();
            await page.Locator("#audit-filter input[name=action]").FillAsync("account.change");
            await page.Locator("#audit-filter input[name=actor]").FillAsync("admin");
            var creation = page.Locator("#audit-table tbody tr[data-action=\"account.change\"]", new() { HasText = doctor });
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            do
            {
                await page.Locator("#audit-filter button[type=submit]").ClickAsync();
                await Assertions.Expect(page.Locator("#audit-status")).Not.ToHaveTextAsync("Loading…");
                if (await creation.CountAsync() > 0)
                {
                    break;
                }

                await Task.Delay(500);
            }
            while (DateTime.UtcNow < deadline);
            Assert.Equal(1, await creation.CountAsync());
            Assert.Contains("success", await creation.InnerTextAsync(), StringComparison.Ordinal);
            Assert.StartsWith("/api/audit/export?from=", await page.Locator("#audit-export").GetAttributeAsync("href"), StringComparison.Ordinal);
            await page.Locator("#audit-verify").ClickAsync();
            await Assertions.Expect(page.Locator("#audit-status")).ToContainTextAsync("Chain intact");
            await AssertNoCspViolationsAsync(page);
        }

        await using var session = await BrowserSession.StartAsync(archive.HttpPort, username: null);
        await session.LogInAsync(doctor, password, "/account");
        var own = session.Page;
        await WaitReadyAsync(own);
        // The account's language, chosen by the admin: German.
        Assert.Equal("de", await own.Locator("html").GetAttributeAsync("lang"));
        Assert.Equal("Mein Konto", await own.Locator("h1").InnerTextAsync());
        Assert.Equal("Arzt", await own.Locator("#account-role").InnerTextAsync());
        Assert.Equal(doctor, await own.Locator("#account-username").InnerTextAsync());
        Assert.Equal("Dr Test", await own.Locator("#display-name").InputValueAsync());
        Assert.False(await own.Locator("a[href=\"/admin\"]").IsVisibleAsync(), "a doctor is offered /admin");

        await own.Locator("#display-name").FillAsync("Dr Test Zwei");
        await own.Locator("#profile-form button[type=submit]").ClickAsync();
        await Assertions.Expect(own.Locator("#profile-status")).ToHaveTextAsync("Gespeichert.");
        using (var account = await archive.Http.GetAsync($"{archive.BaseUrl}/api/users/{doctor}"))
        {
            var json = System.Text.Json.JsonDocument.Parse(await account.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("Dr Test Zwei", json.GetProperty("displayName").GetString());
        }

        // A policy error of the password form is shown, in German, with the gateway's reason.
        await own.Locator("#password-form input[name=currentPassword]").FillAsync(password);
        await own.Locator("#password-form input[name=newPassword]").FillAsync("short");
        await own.Locator("#password-form input[name=repeatPassword]").FillAsync("short");
        await own.Locator("#password-form button[type=submit]").ClickAsync();
        await Assertions.Expect(own.Locator("#password-status")).ToContainTextAsync("Fehlgeschlagen:");
        await AssertNoCspViolationsAsync(own);

        var refused = await own.GotoAsync("/admin");
        Assert.Equal(403, refused!.Status);
    }

    [Fact]
    public async Task AdminPage_TemplatesTab_SharedMacroAddedChangedDeleted_DoctorsSeeIt()
    {
        var name = "normabd" + Guid.NewGuid().ToString("N")[..6];
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctor = await archive.AccessTokenAsync(doctorName, await archive.CreateAccountAsync(doctorName, "doctor"));
        await using var admin = await BrowserSession.StartAsync(archive.HttpPort);
        var page = admin.Page;
        await admin.GotoAsync("/admin?lang=en");
        await WaitReadyAsync(page);
        await page.Locator("#tabs a[data-tab=templates]").ClickAsync();
        await page.Locator("#template-language").SelectOptionAsync("ru");

        // Added in Russian: listed on the tab, offered to every doctor as shared.
        var form = page.Locator("#macro-form");
        await form.Locator("input[name=name]").FillAsync(name);
        await form.Locator("textarea[name=text]").FillAsync("Органы брюшной полости без патологии.");
        await form.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#macros-status")).ToHaveTextAsync("Saved.");
        var row = page.Locator("#macro-table tbody tr", new() { HasText = "/" + name });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        Assert.Equal("Органы брюшной полости без патологии.", Assert.Single(await SharedMacrosAsync(doctor, name)).GetProperty("text").GetString());

        // Changed: the row selected, the text edited, saved in place (no second macro).
        await row.ClickAsync();
        Assert.Equal(name, await form.Locator("input[name=name]").InputValueAsync());
        await form.Locator("textarea[name=text]").FillAsync("Печень, селезёнка, почки без особенностей.");
        await form.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#macros-status")).ToHaveTextAsync("Saved.");
        Assert.Equal("Печень, селезёнка, почки без особенностей.", Assert.Single(await SharedMacrosAsync(doctor, name)).GetProperty("text").GetString());

        // Deleted.
        await page.Locator("#macro-table tbody tr", new() { HasText = "/" + name }).ClickAsync();
        await page.Locator("#macro-delete").ClickAsync();
        await Assertions.Expect(page.Locator("#macros-status")).ToHaveTextAsync("Deleted.");
        await Assertions.Expect(page.Locator("#macro-table tbody tr", new() { HasText = "/" + name })).ToHaveCountAsync(0);
        Assert.Empty(await SharedMacrosAsync(doctor, name));
        await AssertNoCspViolationsAsync(page);
    }

    /// <summary>The shared Russian macros of that name, as a doctor lists them.</summary>
    private async Task<List<System.Text.Json.JsonElement>> SharedMacrosAsync(string token, string name)
    {
        using var response = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, "/api/report-macros?lang=ru", token));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var macros = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("macros");
        return [.. macros.EnumerateArray().Where(m => m.GetProperty("name").GetString() == name && m.GetProperty("shared").GetBoolean()).Select(m => m.Clone())];
    }

    private static async Task WaitReadyAsync(IPage page) =>
        await page.Locator("body[data-ready=\"true\"]").WaitForAsync(new() { Timeout = 30_000 });

    private static async Task AssertNoCspViolationsAsync(IPage page)
    {
        var violations = await page.EvaluateAsync<string[]>("() => window.__cspViolations ?? []");
        Assert.True(violations.Length == 0, "CSP violations:\n" + string.Join('\n', violations));
    }
}
