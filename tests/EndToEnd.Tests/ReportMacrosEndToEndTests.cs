using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// /api/report-macros through a running gateway and silo with real PostgreSQL (pacs_report_macros, migration 0171):
/// doctors keep their own macros, admins the shared ones; a doctor's list holds their own and the shared ones (own
/// first), never another doctor's; operators have none; changes are audited. Names are unique to the run.
/// </summary>
[Collection(StowArchiveCollection.Name)]
public sealed class ReportMacrosEndToEndTests(ArchiveFixture archive)
{
    private const string MacrosPath = "/api/report-macros";

    [Fact]
    public async Task Macros_DoctorsOwnAdminsShared_OwnListedBeforeShared_OthersRefused_Audited()
    {
        var doctorA = await TokenAsync("doc", "doctor");
        var doctorB = await TokenAsync("doc", "doctor");
        var op = await TokenAsync("op", "operator");
        var admin = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword);
        var name = "normchest" + Guid.NewGuid().ToString("N")[..6];
        const string OwnText = "Лёгкие без очаговых и инфильтративных изменений. Корни структурны.";
        const string SharedText = "Органы грудной клетки без патологии.";

        // A doctor adds their own macro (typed with its slash and in capitals: stored as the lower-case name).
        var (status, own) = await SendAsync(HttpMethod.Post, MacrosPath, doctorA, new { name = "/" + name.ToUpperInvariant(), language = "ru", text = OwnText });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(name, own.GetProperty("name").GetString());
        Assert.False(own.GetProperty("shared").GetBoolean());
        var ownId = own.GetProperty("id").GetInt64();

        // Refused: a doctor's shared macro (403), an operator anything (403), a name taken (409), bad input (400).
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, MacrosPath, doctorA, new { name, language = "ru", text = SharedText, shared = true })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, MacrosPath, op, new { name, language = "ru", text = OwnText })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, MacrosPath, op)).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, MacrosPath, doctorA, new { name, language = "ru", text = "again" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, MacrosPath, doctorA, new { name = "two words", language = "ru", text = "x" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, MacrosPath, doctorA, new { name, language = "xx", text = "x" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, MacrosPath, doctorA, new { name, language = "en", text = "  " })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, MacrosPath + "?lang=xx", doctorA)).Status);
        // The same name in another language is another macro.
        (status, var english) = await SendAsync(HttpMethod.Post, MacrosPath, doctorA, new { name, language = "en", text = "Clear lungs." });
        Assert.Equal(HttpStatusCode.Created, status);

        // An admin adds the shared macro of the same name.
        (status, var shared) = await SendAsync(HttpMethod.Post, MacrosPath, admin, new { name, language = "ru", text = SharedText, shared = true });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.True(shared.GetProperty("shared").GetBoolean());
        var sharedId = shared.GetProperty("id").GetInt64();

        // A's Russian list: their own before the shared one; B's: the shared one only; scope=shared: no own macro.
        var listA = await NamedAsync(doctorA, "?lang=ru", name);
        Assert.Equal([(ownId, false), (sharedId, true)], listA.Select(m => (m.GetProperty("id").GetInt64(), m.GetProperty("shared").GetBoolean())));
        Assert.Equal(OwnText, listA[0].GetProperty("text").GetString());
        Assert.Equal([sharedId], (await NamedAsync(doctorB, "?lang=ru", name)).Select(m => m.GetProperty("id").GetInt64()));
        Assert.Equal([sharedId], (await NamedAsync(doctorA, "?scope=shared", name)).Select(m => m.GetProperty("id").GetInt64()));
        Assert.Equal(2, (await NamedAsync(doctorA, "", name)).Count(m => !m.GetProperty("shared").GetBoolean()));

        // B may neither see nor change A's macro (404); a doctor may not change a shared one (403), nor an admin A's (404).
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Put, $"{MacrosPath}/{ownId}", doctorB, new { name, language = "ru", text = "B's" })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, $"{MacrosPath}/{ownId}", doctorB)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Put, $"{MacrosPath}/{sharedId}", doctorA, new { name, language = "ru", text = "A's" })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Delete, $"{MacrosPath}/{sharedId}", doctorA)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, $"{MacrosPath}/{ownId}", admin)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, $"{MacrosPath}/999999999", doctorA)).Status);

        // A changes their own (moving it onto their English one's name and language: 409); the admin the shared one.
        (status, var changed) = await SendAsync(HttpMethod.Put, $"{MacrosPath}/{ownId}", doctorA, new { name, language = "ru", text = OwnText + " Синусы свободны." });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.EndsWith("Синусы свободны.", changed.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Put, $"{MacrosPath}/{ownId}", doctorA, new { name, language = "en", text = "x" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"{MacrosPath}/{sharedId}", admin, new { name, language = "ru", text = SharedText + " Норма." })).Status);
        Assert.Equal(SharedText + " Норма.", (await NamedAsync(doctorB, "?lang=ru", name)).Single().GetProperty("text").GetString());

        // Deleted: A's own, then the shared one.
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"{MacrosPath}/{ownId}", doctorA)).Status);
        Assert.Equal([sharedId], (await NamedAsync(doctorA, "?lang=ru", name)).Select(m => m.GetProperty("id").GetInt64()));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"{MacrosPath}/{sharedId}", admin)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"{MacrosPath}/{english.GetProperty("id").GetInt64()}", doctorA)).Status);
        Assert.Empty(await NamedAsync(doctorA, "", name));

        // Audited with the scope and the name (never the text): own saved twice (add, change), shared twice, three deletions.
        var saved = await AuditAsync("report.macro.saved", name);
        Assert.Equal(2, saved.Count(d => d.GetProperty("macroId").GetString() == ownId.ToString(System.Globalization.CultureInfo.InvariantCulture)
            && d.GetProperty("scope").GetString() == "own"));
        Assert.Equal(2, saved.Count(d => d.GetProperty("macroId").GetString() == sharedId.ToString(System.Globalization.CultureInfo.InvariantCulture)
            && d.GetProperty("scope").GetString() == "shared" && d.GetProperty("actor").GetString() == "admin"));
        Assert.Equal(3, (await AuditAsync("report.macro.deleted", name)).Count);
        Assert.All(saved, d => Assert.DoesNotContain("Лёгкие", d.GetRawText(), StringComparison.Ordinal));
    }

    private async Task<string> TokenAsync(string prefix, string role)
    {
        var username = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        return await archive.AccessTokenAsync(username, await archive.CreateAccountAsync(username, role));
    }

    /// <summary>The caller's macros of that name (GET with <paramref name="query"/>), in the order listed.</summary>
    private async Task<List<JsonElement>> NamedAsync(string token, string query, string name)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, MacrosPath + query, token);
        Assert.Equal(HttpStatusCode.OK, status);
        return [.. body.GetProperty("macros").EnumerateArray().Where(m => m.GetProperty("name").GetString() == name)];
    }

    /// <summary>The details of the audit events of <paramref name="action"/> for the macro <paramref name="name"/>.</summary>
    private async Task<List<JsonElement>> AuditAsync(string action, string name)
    {
        using var response = await archive.Http.GetAsync($"{archive.BaseUrl}/api/audit?action={action}&limit=500");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items");
        return [.. items.EnumerateArray()
            .Select(i => JsonDocument.Parse(i.GetProperty("detail").GetString()!).RootElement.Clone())
            .Where(d => d.TryGetProperty("macro", out var macro) && macro.GetString() == name)];
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string token, object? json = null)
    {
        var (status, body, _) = await archive.SendJsonAsync(method, path, token, json);
        return (status, body);
    }
}
