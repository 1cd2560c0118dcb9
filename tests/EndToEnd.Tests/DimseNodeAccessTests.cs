using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pacs.Dicom;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// A gateway that admits registered calling AE titles only (Pacs:Dimse:CallingAePolicy=Registered, the production
/// default), driven by dcmtk: an unregistered AE is rejected at association, a registered node uses exactly the
/// services the registry gives it, and a registry change through the admin API applies at once on that gateway.
/// </summary>
[Collection(DicomWebArchiveCollection.Name)]
public sealed class DimseNodeAccessTests(ArchiveFixture archive)
{
    [Fact]
    public async Task RegisteredPolicy_AdmitsOnlyRegisteredNodes_ForTheirServices()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        var storeOnly = "STORE" + suffix;
        var findOnly = "FIND" + suffix;
        await PutNodeAsync(storeOnly, ["store"]);
        await PutNodeAsync(findOnly, ["find"]);
        using (var list = await archive.Http.GetAsync($"{archive.BaseUrl}/api/dicom-nodes/{findOnly}"))
        {
            var node = await list.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(new[] { "find" }, node.GetProperty("services").EnumerateArray().Select(e => e.GetString()!).ToArray());
        }

        using var gateway = await archive.StartGatewayAsync("--Pacs:Dimse:CallingAePolicy", "Registered");
        var port = gateway.DicomPort.ToString(CultureInfo.InvariantCulture);
        var study = SyntheticStudy.Create("CT", "NODE^ACCESS", slices: 1);
        var file = Path.Combine(archive.WorkDirectory, $"node-access-{suffix}.dcm");
        await File.WriteAllBytesAsync(file, study.Instances[0].ToBytes());
        try
        {
            // Not in the registry: A-ASSOCIATE-RJ permanent, calling AE title not recognized (PS3.8 Table 9-21).
            var (code, output) = await ChildProcess.RunAsync("echoscu", ["-aet", "NOBODY" + suffix, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port]);
            Assert.NotEqual(0, code);
            Assert.Contains("Calling AE Title Not Recognized", output, StringComparison.OrdinalIgnoreCase);

            // Store only: C-STORE succeeds, C-FIND's presentation context is refused.
            (code, output) = await ChildProcess.RunAsync("storescu", ["-aet", storeOnly, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port, file]);
            Assert.True(code == 0, output);
            (code, output) = await ChildProcess.RunAsync("findscu", ["-S", "-aet", storeOnly, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port,
                "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study.StudyInstanceUid]);
            Assert.NotEqual(0, code);
            Assert.Contains("No Acceptable Presentation Contexts", output, StringComparison.OrdinalIgnoreCase);

            // Find only: C-FIND answers the study just stored, C-STORE's context is refused.
            (code, output) = await ChildProcess.RunAsync("findscu", ["-v", "-S", "-aet", findOnly, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port,
                "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study.StudyInstanceUid, "-k", "PatientName"]);
            Assert.True(code == 0, output);
            Assert.Contains("NODE^ACCESS", output, StringComparison.Ordinal);
            (code, output) = await ChildProcess.RunAsync("storescu", ["-aet", findOnly, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port, file]);
            Assert.NotEqual(0, code);

            // The admin takes "find" away: this gateway's cached answer is dropped with the change.
            await PutNodeAsync(findOnly, ["store"], gateway.HttpPort);
            (code, output) = await ChildProcess.RunAsync("findscu", ["-S", "-aet", findOnly, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port,
                "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study.StudyInstanceUid]);
            Assert.NotEqual(0, code);

            // The shared gateway (no policy set, not production) stays open to any calling AE title.
            (code, output) = await ChildProcess.RunAsync("echoscu", ["-aet", "NOBODY" + suffix, "-aec", ArchiveFixture.AeTitle, "127.0.0.1",
                archive.DicomPort.ToString(CultureInfo.InvariantCulture)]);
            Assert.True(code == 0, output);
        }
        finally
        {
            File.Delete(file);
            using var delete = await archive.Http.DeleteAsync($"{archive.BaseUrl}/dicom-web/studies/{study.StudyInstanceUid}");
            foreach (var ae in new[] { storeOnly, findOnly })
            {
                using (await archive.Http.DeleteAsync($"{archive.BaseUrl}/api/dicom-nodes/{ae}")) { }
            }
        }
    }

    [Fact]
    public async Task NodeServices_OutsideTheKnownThree_AreRefused()
    {
        using var request = archive.Request(HttpMethod.Put, "/api/dicom-nodes/BADSVC");
        request.Content = JsonContent.Create(new { host = "127.0.0.1", port = 104, services = new[] { "store", "delete" } });
        using var response = await archive.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("services", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task PutNodeAsync(string ae, string[] services, int? httpPort = null)
    {
        var baseUrl = httpPort is { } p ? $"http://127.0.0.1:{p}" : archive.BaseUrl;
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{baseUrl}/api/dicom-nodes/{ae}")
        {
            Content = JsonContent.Create(new { host = "127.0.0.1", port = 104, description = "test node", services }),
        };
        using var response = await archive.Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
