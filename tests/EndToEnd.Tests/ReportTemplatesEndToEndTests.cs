using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// /api/report-templates through a running gateway and silo with real PostgreSQL: the shipped templates per language,
/// an admin's new template and its change to a shipped one (stored in pacs_report_templates, seen by doctors), retiring,
/// roles, bad input. Ids are unique to the run; the shipped template changed here is restored at the end.
/// </summary>
[Collection(StowArchiveCollection.Name)]
public sealed class ReportTemplatesEndToEndTests(ArchiveFixture archive)
{
    [Fact]
    public async Task Templates_AdminAddsChangesRetires_DoctorsSeeIt_OthersRefused()
    {
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctor = await archive.AccessTokenAsync(doctorName, await archive.CreateAccountAsync(doctorName, "doctor"));
        var operatorName = "op-" + Guid.NewGuid().ToString("N")[..8];
        var op = await archive.AccessTokenAsync(operatorName, await archive.CreateAccountAsync(operatorName, "operator"));
        var admin = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword);

        // Shipped: five in German, CT ones filtered by modality.
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/report-templates?lang=de", doctor);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("de", body.GetProperty("language").GetString());
        var ids = Ids(body);
        Assert.Superset(new HashSet<string> { "ct-head", "ct-chest", "mr-brain", "us-abdomen", "cr-chest" }, ids.ToHashSet());
        Assert.Contains("Kein akuter intrakranieller Befund.", Template(body, "ct-head").GetProperty("impression").GetString(), StringComparison.Ordinal);
        (_, body) = await SendAsync(HttpMethod.Get, "/api/report-templates?lang=de&modality=CT", doctor);
        Assert.All(body.GetProperty("templates").EnumerateArray(), t => Assert.Equal("CT", t.GetProperty("modality").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, "/api/report-templates", op)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, "/api/report-templates?lang=xx", doctor)).Status);

        // An admin adds a template in Russian: doctors see it in Russian, not in English.
        var id = "mr-knee-" + Guid.NewGuid().ToString("N")[..6];
        var knee = new
        {
            modality = "mr", bodyPart = "KNEE", name = "МРТ коленного сустава", keywords = new[] { "колен", "knee" },
            technique = "МРТ коленного сустава (PD FS, T1).", findings = "Мениски без разрывов.", impression = "Норма.",
        };
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Put, $"/api/report-templates/{id}?lang=ru", doctor, knee)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Put, "/api/report-templates/Bad_Id?lang=ru", admin, knee)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Put, $"/api/report-templates/{id}?lang=ru", admin, new { modality = "MR" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Put, $"/api/report-templates/{id}?lang=ru", admin,
            knee with { findings = new string('x', 32_001) })).Status);
        (status, body) = await SendAsync(HttpMethod.Put, $"/api/report-templates/{id}?lang=ru", admin, knee);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("MR", body.GetProperty("modality").GetString());
        (_, body) = await SendAsync(HttpMethod.Get, "/api/report-templates?lang=ru&modality=MR", doctor);
        Assert.Equal("Мениски без разрывов.", Template(body, id).GetProperty("findings").GetString());
        (_, body) = await SendAsync(HttpMethod.Get, "/api/report-templates?lang=en", doctor);
        Assert.DoesNotContain(id, Ids(body));

        // A shipped template changed in French, then retired there: the other languages keep theirs.
        (_, body) = await SendAsync(HttpMethod.Get, "/api/report-templates?lang=fr", doctor);
        var shippedFrench = Template(body, "cr-chest");
        var cr = new { modality = "CR", bodyPart = "CHEST", name = "Radiographie thoracique (service)", findings = "Poumons clairs.", impression = "Normal." };
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/api/report-templates/cr-chest?lang=fr", admin, cr)).Status);
        (_, body) = await SendAsync(HttpMethod.Get, "/api/report-templates?lang=fr", doctor);
        Assert.Equal("Radiographie thoracique (service)", Template(body, "cr-chest").GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "/api/report-templates/cr-chest?lang=fr", admin)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/report-templates/{id}?lang=ru", admin)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, "/api/report-templates/no-such-template?lang=fr", admin)).Status);
        (_, body) = await SendAsync(HttpMethod.Get, "/api/report-templates?lang=fr", doctor);
        Assert.DoesNotContain("cr-chest", Ids(body));
        (_, body) = await SendAsync(HttpMethod.Get, "/api/report-templates?lang=ru", doctor);
        Assert.Contains("cr-chest", Ids(body));
        Assert.DoesNotContain(id, Ids(body));

        // Saving the shipped text back offers it again.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/api/report-templates/cr-chest?lang=fr", admin, shippedFrench)).Status);
        (_, body) = await SendAsync(HttpMethod.Get, "/api/report-templates?lang=fr", doctor);
        Assert.Equal(shippedFrench.GetProperty("findings").GetString(), Template(body, "cr-chest").GetProperty("findings").GetString());
    }

    private static List<string> Ids(JsonElement body) => [.. body.GetProperty("templates").EnumerateArray().Select(t => t.GetProperty("id").GetString()!)];

    private static JsonElement Template(JsonElement body, string id) =>
        body.GetProperty("templates").EnumerateArray().Single(t => t.GetProperty("id").GetString() == id);

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string token, object? json = null)
    {
        var (status, body, _) = await archive.SendJsonAsync(method, path, token, json);
        return (status, body);
    }
}
