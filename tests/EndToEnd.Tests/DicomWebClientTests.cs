using System.Security.Cryptography;
using System.Text.Json;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// The real client: dicomweb-client 0.11.3 (the library OHIF uses) under node, run by js/dicomweb-client.mjs against
/// the live gateway: STOW a synthetic series, then search studies and series, retrieve series metadata and a frame.
/// </summary>
[Collection(ViewerArchiveCollection.Name)]
public sealed class DicomWebClientTests(ArchiveFixture archive)
{
    private static string Tag(JsonElement json, string tag) =>
        json.TryGetProperty(tag, out var a) && a.TryGetProperty("Value", out var v) && v.GetArrayLength() > 0
            ? v[0].ValueKind == JsonValueKind.String ? v[0].GetString()! : v[0].ToString()
            : "";

    [Fact]
    public async Task DicomWebClient_StoreSearchMetadataFrames_AgreeWithWhatWasStored()
    {
        var scriptDir = Path.Combine(archive.RepoRoot, "tests", "EndToEnd.Tests", "js");
        Assert.True(Directory.Exists(Path.Combine(scriptDir, "node_modules", "dicomweb-client")),
            $"npm packages missing in {scriptDir}: ./pacs test runs `npm ci` there first");

        var study = SyntheticStudy.Create("MR", "DICOMWEB^CLIENT", slices: 3);
        var dir = Path.Combine(archive.WorkDirectory, "dicomweb-client");
        Directory.CreateDirectory(dir);
        var files = new List<string>();
        foreach (var file in study.Instances)
        {
            var path = Path.Combine(dir, file.Dataset.GetString(Pacs.Dicom.DicomTag.SOPInstanceUID) + ".dcm");
            await File.WriteAllBytesAsync(path, file.ToBytes());
            files.Add(path);
        }

        // As an API client: a bearer token from POST /auth/token (the script sends it on every request).
        var token = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword);
        using var node = new ChildProcess("node", [Path.Combine(scriptDir, "dicomweb-client.mjs"), $"http://127.0.0.1:{archive.HttpPort}/dicom-web", .. files], scriptDir,
            environment: new Dictionary<string, string> { ["PACS_ACCESS_TOKEN"] = token });
        Assert.Equal(0, await node.WaitAsync(TimeSpan.FromSeconds(60)));
        using var output = JsonDocument.Parse(node.Output);
        var result = output.RootElement;
        Assert.True(result.GetProperty("ok").GetBoolean(), node.Output);

        // STOW-RS: every instance referenced, none failed.
        var expectedSops = study.Instances.Select(i => i.Dataset.GetString(Pacs.Dicom.DicomTag.SOPInstanceUID)!).Order().ToList();
        Assert.Equal(expectedSops, result.GetProperty("storedSopInstanceUids").EnumerateArray().Select(e => e.GetString()!).Order().ToList());
        Assert.False(result.GetProperty("store").TryGetProperty("00081198", out _), "FailedSOPSequence present: " + result.GetProperty("store"));
        Assert.Equal(study.StudyInstanceUid, result.GetProperty("studyInstanceUID").GetString());

        // QIDO-RS studies: the study, its modality and instance count.
        var found = Assert.Single(result.GetProperty("studies").EnumerateArray());
        Assert.Equal(study.StudyInstanceUid, Tag(found, "0020000D"));
        Assert.Equal("MR", Tag(found, "00080061"));
        Assert.Equal("3", Tag(found, "00201208"));

        // QIDO-RS series.
        var series = Assert.Single(result.GetProperty("series").EnumerateArray());
        Assert.Equal(study.SeriesInstanceUid, Tag(series, "0020000E"));
        Assert.Equal("MR", Tag(series, "00080060"));

        // WADO-RS series metadata: one entry per instance, header values as stored.
        var metadata = result.GetProperty("metadata").EnumerateArray().ToList();
        Assert.Equal(expectedSops, metadata.Select(m => Tag(m, "00080018")).Order().ToList());
        Assert.All(metadata, m =>
        {
            Assert.Equal("128", Tag(m, "00280010"));
            Assert.Equal("DICOMWEB^CLIENT", JsonDocument.Parse(m.GetProperty("00100010").GetProperty("Value")[0].ToString()).RootElement.GetProperty("Alphabetic").GetString());
        });

        // WADO-RS frames: frame 1 is the stored native pixel data, byte for byte.
        var frames = result.GetProperty("frames");
        var sop = frames.GetProperty("sopInstanceUID").GetString();
        var instance = study.Instances.Single(i => i.Dataset.GetString(Pacs.Dicom.DicomTag.SOPInstanceUID) == sop);
        var pixels = SyntheticStudy.PixelsOf(instance);
        var part = Assert.Single(frames.GetProperty("parts").EnumerateArray());
        Assert.Equal(pixels.Length, part.GetProperty("length").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(pixels)), part.GetProperty("sha256").GetString());
    }
}
