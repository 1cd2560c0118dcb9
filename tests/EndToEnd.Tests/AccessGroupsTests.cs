using System.Globalization;
using System.Net;
using System.Text.Json;
using Pacs.Dicom;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Access groups (issue 12, one archive for many sites): a gateway whose rules put Hospital A's studies in "site-a"
/// and Hospital B's in "site-b"; a doctor of each site sees exactly the studies of their site, through QIDO (rows and
/// their count) and every per-study resource (metadata, frames, rendered, WADO-URI), and another site's study is a
/// 404 as if it did not exist; the admin sees both.
/// </summary>
[Collection(DicomWebArchiveCollection.Name)]
public sealed class AccessGroupsTests(ArchiveFixture archive)
{
    [Fact]
    public async Task TwoSites_EachDoctorSeesExactlyTheirSitesStudies()
    {
        using var gateway = await archive.StartGatewayAsync(
            "--Pacs:AccessGroups:Rules:0:Group", "site-a", "--Pacs:AccessGroups:Rules:0:InstitutionName", "Hospital A",
            "--Pacs:AccessGroups:Rules:1:Group", "site-b", "--Pacs:AccessGroups:Rules:1:InstitutionName", "hospital b ");
        var a = SyntheticStudy.Create("CT", "SITE^ALPHA", slices: 1);
        var b = SyntheticStudy.Create("MR", "SITE^BRAVO", slices: 1);
        a.Instances[0].Dataset.SetString(DicomTag.InstitutionName, DicomVR.LO, "Hospital A");
        b.Instances[0].Dataset.SetString(DicomTag.InstitutionName, DicomVR.LO, "Hospital B");
        var files = new List<string>();
        foreach (var study in new[] { a, b })
        {
            var path = Path.Combine(archive.WorkDirectory, $"groups-{study.PatientId}.dcm");
            await File.WriteAllBytesAsync(path, study.Instances[0].ToBytes());
            files.Add(path);
        }

        try
        {
            var (code, output) = await ChildProcess.RunAsync("storescu", ["-aec", ArchiveFixture.AeTitle, "127.0.0.1",
                gateway.DicomPort.ToString(CultureInfo.InvariantCulture), .. files]);
            Assert.True(code == 0, output);

            var suffix = Guid.NewGuid().ToString("N")[..8];
            var doctorA = await TokenAsync($"doc-a-{suffix}", "site-a");
            var doctorB = await TokenAsync($"doc-b-{suffix}", "site-b");
            var elsewhere = await TokenAsync($"doc-c-{suffix}", "site-c");
            var bothUids = $"{a.StudyInstanceUid},{b.StudyInstanceUid}";

            // QIDO: the rows, and so their number, are only the caller's site's.
            Assert.Equal([a.StudyInstanceUid], await StudiesAsync(doctorA, $"StudyInstanceUID={bothUids}"));
            Assert.Equal([b.StudyInstanceUid], await StudiesAsync(doctorB, $"StudyInstanceUID={bothUids}"));
            Assert.Empty(await StudiesAsync(elsewhere, $"StudyInstanceUID={bothUids}"));
            Assert.Empty(await StudiesAsync(doctorA, $"PatientID={b.PatientId}"));
            Assert.Empty(await StudiesAsync(doctorA, $"StudyInstanceUID={b.StudyInstanceUid}", level: "series"));
            Assert.Equal(2, (await StudiesAsync(null, $"StudyInstanceUID={bothUids}")).Count);

            // Per-study resources: another site's study does not exist for the caller.
            var series = b.SeriesInstanceUid;
            var sop = b.Instances[0].Dataset.GetString(DicomTag.SOPInstanceUID)!;
            foreach (var path in new[]
            {
                $"/dicom-web/studies/{b.StudyInstanceUid}/metadata",
                $"/dicom-web/studies/{b.StudyInstanceUid}/series",
                $"/dicom-web/studies/{b.StudyInstanceUid}/series/{series}/instances/{sop}/frames/1",
                $"/dicom-web/studies/{b.StudyInstanceUid}/series/{series}/instances/{sop}/rendered",
                $"/dicom-web/studies/{b.StudyInstanceUid}/thumbnail",
                $"/wado?requestType=WADO&studyUID={b.StudyInstanceUid}&seriesUID={series}&objectUID={sop}",
            })
            {
                Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(doctorA, path));
                Assert.Equal(HttpStatusCode.OK, await StatusAsync(doctorB, path));
            }

            // The reports worklist: only the caller's site's studies, in rows and total; another site's report is a 404.
            var worklistA = await WorklistAsync(doctorA);
            Assert.Contains(a.StudyInstanceUid, worklistA);
            Assert.DoesNotContain(b.StudyInstanceUid, worklistA);
            var worklistB = await WorklistAsync(doctorB);
            Assert.Contains(b.StudyInstanceUid, worklistB);
            Assert.DoesNotContain(a.StudyInstanceUid, worklistB);
            Assert.Empty(await WorklistAsync(elsewhere));
            Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(doctorA, $"/api/studies/{b.StudyInstanceUid}/report/history"));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(doctorB, $"/api/studies/{b.StudyInstanceUid}/report/history"));

            Assert.Equal(HttpStatusCode.OK, await StatusAsync(doctorA, $"/dicom-web/studies/{a.StudyInstanceUid}/metadata"));
            Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(elsewhere, $"/dicom-web/studies/{a.StudyInstanceUid}/metadata"));
        }
        finally
        {
            foreach (var file in files)
            {
                File.Delete(file);
            }

            foreach (var study in new[] { a, b })
            {
                using (await archive.Http.DeleteAsync($"{archive.BaseUrl}/dicom-web/studies/{study.StudyInstanceUid}")) { }
            }
        }
    }

    private async Task<string> TokenAsync(string username, string group)
    {
        var password = await archive.CreateAccountAsync(username, "doctor", group);
        return await archive.AccessTokenAsync(username, password);
    }

    /// <summary>Study Instance UIDs a QIDO search answers; a null token: the admin.</summary>
    private async Task<List<string>> StudiesAsync(string? token, string query, string level = "studies")
    {
        using var request = archive.Request(HttpMethod.Get, $"/dicom-web/{level}?{query}", token);
        using var response = await archive.Http.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0)
        {
            return [];
        }

        using var json = JsonDocument.Parse(text);
        return json.RootElement.EnumerateArray().Select(e => e.GetProperty("0020000D").GetProperty("Value")[0].GetString()!).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The Study Instance UIDs of GET /api/worklist (one page of the most), checked against its total.</summary>
    private async Task<List<string>> WorklistAsync(string token)
    {
        using var request = archive.Request(HttpMethod.Get, "/api/worklist?limit=200", token);
        using var response = await archive.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        var uids = json.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("studyInstanceUid").GetString()!).ToList();
        Assert.True(json.RootElement.GetProperty("total").GetInt64() == uids.Count || uids.Count == 200, text);
        return uids;
    }

    private async Task<HttpStatusCode> StatusAsync(string token, string path)
    {
        using var request = archive.Request(HttpMethod.Get, path, token);
        request.Headers.Accept.ParseAdd("*/*");
        using var response = await archive.Http.SendAsync(request);
        return response.StatusCode;
    }
}
