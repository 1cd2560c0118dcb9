using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Access groups through the admin API (issue 12): GET /api/access-groups counts studies and accounts per group, and
/// PUT /api/studies/{study}/access-groups moves a study between sites; a doctor's QIDO and metadata follow at the next
/// request, the change is audited with the groups before and after, and only admins may make it.
/// </summary>
[Collection(ArchiveCollection.Name)]
public sealed class AccessGroupAdminTests(ArchiveFixture archive)
{
    [Fact]
    public async Task PutStudyGroups_MovesTheStudyBetweenSites_QidoFollowsAtOnceAndAudited()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var site = "site-" + suffix;
        var study = SyntheticStudy.Create("CT", "GROUPS^MOVE", slices: 1);
        await StowAsync(study);
        var doctorName = "doc-grp-" + suffix;
        var doctor = await archive.AccessTokenAsync(doctorName, await archive.CreateAccountAsync(doctorName, "doctor", site));
        var local = "doc-def-" + suffix;
        var localDoctor = await archive.AccessTokenAsync(local, await archive.CreateAccountAsync(local, "doctor"));
        var path = $"/api/studies/{study.StudyInstanceUid}/access-groups";

        // Stored through the shared gateway: the default group only; the other site's doctor does not see it.
        Assert.Equal(["default"], (await JsonAsync(HttpMethod.Get, path)).GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Empty(await StudiesAsync(doctor, study.StudyInstanceUid));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(doctor, $"/dicom-web/studies/{study.StudyInstanceUid}/metadata"));

        // Moved to the other site: its doctor sees it at once, the default group's doctor no longer does.
        var moved = await JsonAsync(HttpMethod.Put, path, new { groups = new[] { site, site } });
        Assert.Equal([site], moved.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal([study.StudyInstanceUid], await StudiesAsync(doctor, study.StudyInstanceUid));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(doctor, $"/dicom-web/studies/{study.StudyInstanceUid}/metadata"));
        Assert.Empty(await StudiesAsync(localDoctor, study.StudyInstanceUid));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(localDoctor, $"/dicom-web/studies/{study.StudyInstanceUid}/metadata"));

        // The list: one study and one account in the new group.
        var groups = (await JsonAsync(HttpMethod.Get, "/api/access-groups")).GetProperty("items").EnumerateArray().ToList();
        var entry = Assert.Single(groups, g => g.GetProperty("name").GetString() == site);
        Assert.Equal((1, 1), (entry.GetProperty("studies").GetInt64(), entry.GetProperty("accounts").GetInt64()));
        Assert.DoesNotContain(groups, g => g.GetProperty("name").GetString() == "*");

        // Audited: one group.change naming the study, with the groups before and after.
        var detail = await AuditDetailAsync("group.change", study.StudyInstanceUid);
        Assert.Equal("default", detail.GetProperty("groupsBefore").GetString());
        Assert.Equal(site, detail.GetProperty("groupsAfter").GetString());

        // Refused: doctors (403), bad names and empty lists (400), an unknown study (404), a bad UID (400).
        using (var request = archive.Request(HttpMethod.Put, path, doctor))
        {
            request.Content = JsonContent.Create(new { groups = new[] { "default" } });
            using var response = await archive.Anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(doctor, "/api/access-groups"));
        foreach (var bad in new object[] { new { groups = new[] { "Site A" } }, new { groups = Array.Empty<string>() }, new { other = 1 } })
        {
            Assert.Equal(HttpStatusCode.BadRequest, await AdminStatusAsync(HttpMethod.Put, path, bad));
        }

        Assert.Equal(HttpStatusCode.NotFound, await AdminStatusAsync(HttpMethod.Put, "/api/studies/1.2.3.4.999999/access-groups", new { groups = new[] { site } }));
        Assert.Equal(HttpStatusCode.BadRequest, await AdminStatusAsync(HttpMethod.Get, "/api/studies/1..2/access-groups", null));
    }

    private async Task StowAsync(SyntheticStudy study)
    {
        using var stow = archive.Request(HttpMethod.Post, "/dicom-web/studies");
        var content = new MultipartContent("related", "stow-" + Guid.NewGuid().ToString("N"));
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        foreach (var instance in study.Instances)
        {
            var part = new ByteArrayContent(instance.ToBytes());
            part.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
            content.Add(part);
        }
        stow.Content = content;
        using var response = await archive.Http.SendAsync(stow);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonElement> JsonAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = archive.Request(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await archive.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<HttpStatusCode> AdminStatusAsync(HttpMethod method, string path, object? body)
    {
        using var request = archive.Request(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await archive.Http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        return response.StatusCode;
    }

    private async Task<HttpStatusCode> StatusAsync(string token, string path)
    {
        using var response = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, path, token));
        return response.StatusCode;
    }

    private async Task<List<string>> StudiesAsync(string token, string study)
    {
        using var response = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, $"/dicom-web/studies?StudyInstanceUID={study}", token));
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent, response.StatusCode.ToString());
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0)
        {
            return [];
        }

        using var json = JsonDocument.Parse(text);
        return json.RootElement.EnumerateArray().Select(e => e.GetProperty("0020000D").GetProperty("Value")[0].GetString()!).ToList();
    }

    /// <summary>The detail of the one audit row of <paramref name="action"/> on the study, once the writer's batch has landed.</summary>
    private async Task<JsonElement> AuditDetailAsync(string action, string study)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var details = new List<string>();
            await using (var connection = new NpgsqlConnection(archive.Database))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT detail::text FROM pacs_audit_events WHERE kind = $1 AND study_instance_uid = $2", connection)
                {
                    Parameters = { new() { Value = action }, new() { Value = study } },
                };
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    details.Add(reader.GetString(0));
                }
            }

            if (details.Count > 0 || DateTime.UtcNow > deadline)
            {
                return JsonDocument.Parse(Assert.Single(details)).RootElement.Clone();
            }

            await Task.Delay(100);
        }
    }
}
