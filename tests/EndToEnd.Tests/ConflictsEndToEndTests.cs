using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Pacs.Dicom;
using Pacs.Dicom.Json;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Issue 13, duplicate policy, through a running archive with the default (keep-first): a different re-send does not
/// replace the stored instance, the sender gets a warning, and an administrator reviews, accepts, restores or discards
/// the held copy through /api/conflicts.
/// </summary>
[Collection(StowArchiveCollection.Name)]
public sealed class ConflictsEndToEndTests(ArchiveFixture archive)
{
    private string Base => $"http://127.0.0.1:{archive.HttpPort.ToString(CultureInfo.InvariantCulture)}";

    private static byte[] Instance(DicomDataset template, string patientName)
    {
        var ds = template.Clone();
        ds.SetString(DicomTag.PatientName, DicomVR.PN, patientName);
        return DicomFile.Create(ds, DicomTransferSyntax.ExplicitVRLittleEndian).ToBytes();
    }

    private static DicomDataset NewDataset()
    {
        var ds = new DicomDataset();
        ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
        ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.PatientID, DicomVR.LO, "CONFLICT-E2E");
        ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.Modality, DicomVR.CS, "OT");
        return ds;
    }

    private async Task<(HttpStatusCode Status, DicomDataset Response)> StowAsync(byte[] part)
    {
        var content = new MultipartContent("related", "stow-" + Guid.NewGuid().ToString("N"));
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        var body = new ByteArrayContent(part);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
        content.Add(body);
        using var response = await archive.Http.PostAsync($"{Base}/dicom-web/studies", content);
        return (response.StatusCode, DicomJsonReader.Read(await response.Content.ReadAsByteArrayAsync()));
    }

    private async Task<string> StoredPatientNameAsync(DicomDataset ds)
    {
        var path = $"{Base}/dicom-web/studies/{ds.GetString(DicomTag.StudyInstanceUID)}/series/{ds.GetString(DicomTag.SeriesInstanceUID)}/instances/{ds.GetString(DicomTag.SOPInstanceUID)}/metadata";
        using var response = await archive.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement[0].GetProperty("00100010").GetProperty("Value")[0].GetProperty("Alphabetic").GetString()!;
    }

    private async Task<JsonElement> CopiesAsync(string sop, string? kind = null)
    {
        using var response = await archive.Http.SendAsync(archive.Request(HttpMethod.Get, "/api/conflicts" + (kind is null ? "" : "?kind=" + kind)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var mine = json.RootElement.EnumerateArray().Where(c => c.GetProperty("sopInstanceUid").GetString() == sop).Select(c => c.Clone()).ToArray();
        return JsonDocument.Parse(JsonSerializer.Serialize(mine)).RootElement;
    }

    [Fact]
    public async Task Stow_DifferentResend_WarningB000StoredStaysAndTheCopyIsHeldForReview()
    {
        var ds = NewDataset();
        var sop = ds.GetString(DicomTag.SOPInstanceUID)!;
        Assert.Equal(HttpStatusCode.OK, (await StowAsync(Instance(ds, "First^Copy"))).Status);

        var (status, response) = await StowAsync(Instance(ds, "Other^Name"));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var item = Assert.Single(response.GetSequence(DicomTag.ReferencedSOPSequence)!.Items);
        Assert.Equal((ushort)0xB000, item.GetUInt16(DicomTag.WarningReason));
        Assert.Equal("First^Copy", await StoredPatientNameAsync(ds));
        var held = Assert.Single((await CopiesAsync(sop, "conflict")).EnumerateArray());
        Assert.Equal(ds.GetString(DicomTag.StudyInstanceUID), held.GetProperty("studyInstanceUid").GetString());

        // The identical re-send of the stored copy stays plain success.
        Assert.Equal(HttpStatusCode.OK, (await StowAsync(Instance(ds, "First^Copy"))).Status);
    }

    [Fact]
    public async Task Conflicts_WithoutCredentials_401()
    {
        using var response = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, "/api/conflicts"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Conflicts_ReviewAcceptThenRestore_StoredInstanceFollowsAndNothingIsLost()
    {
        var ds = NewDataset();
        var sop = ds.GetString(DicomTag.SOPInstanceUID)!;
        await StowAsync(Instance(ds, "First^Copy"));
        await StowAsync(Instance(ds, "Corrected^Name"));
        var id = Assert.Single((await CopiesAsync(sop, "conflict")).EnumerateArray()).GetProperty("id").GetInt64();

        // Review: the held copy as a Part 10 file.
        using (var file = await archive.Http.SendAsync(archive.Request(HttpMethod.Get, $"/api/conflicts/{id}/file")))
        {
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            var parsed = DicomFile.Open(await file.Content.ReadAsByteArrayAsync());
            Assert.Equal("Corrected^Name", parsed.Dataset.GetString(DicomTag.PatientName));
            Assert.Equal(sop, parsed.FileMetaInformation.GetString(DicomTag.MediaStorageSOPInstanceUID));
        }

        // Accept: the held copy becomes the stored instance; the first one is kept as a 'replaced' copy.
        using (var accept = await archive.Http.SendAsync(archive.Request(HttpMethod.Post, $"/api/conflicts/{id}/accept")))
        {
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        }

        Assert.Equal("Corrected^Name", await StoredPatientNameAsync(ds));
        Assert.Empty((await CopiesAsync(sop, "conflict")).EnumerateArray());
        var replaced = Assert.Single((await CopiesAsync(sop, "replaced")).EnumerateArray());
        Assert.True(replaced.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(29));

        // Restore: accepting the replaced copy brings the first one back.
        using (var restore = await archive.Http.SendAsync(archive.Request(HttpMethod.Post, $"/api/conflicts/{replaced.GetProperty("id").GetInt64()}/accept")))
        {
            Assert.Equal(HttpStatusCode.OK, restore.StatusCode);
        }

        Assert.Equal("First^Copy", await StoredPatientNameAsync(ds));
    }

    [Fact]
    public async Task Conflicts_Discard_204ThenGone()
    {
        var ds = NewDataset();
        var sop = ds.GetString(DicomTag.SOPInstanceUID)!;
        await StowAsync(Instance(ds, "First^Copy"));
        await StowAsync(Instance(ds, "Wrong^Patient"));
        var id = Assert.Single((await CopiesAsync(sop, "conflict")).EnumerateArray()).GetProperty("id").GetInt64();

        using var discard = await archive.Http.SendAsync(archive.Request(HttpMethod.Delete, $"/api/conflicts/{id}"));

        Assert.Equal(HttpStatusCode.NoContent, discard.StatusCode);
        Assert.Empty((await CopiesAsync(sop)).EnumerateArray());
        using var again = await archive.Http.SendAsync(archive.Request(HttpMethod.Get, $"/api/conflicts/{id}"));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("First^Copy", await StoredPatientNameAsync(ds));
    }
}
