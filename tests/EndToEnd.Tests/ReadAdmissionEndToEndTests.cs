using System.Globalization;
using System.Net;
using Pacs.Dicom;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Read admission (issue 17 §1, docs/operations.md "Configuration"): a gateway with one read slot and room for one
/// waiting read. A reader that asks for a 32 MiB frame and does not read it holds the slot; the next read waits; the
/// one after that is answered 503 with Retry-After and a problem document; once the slow reader has its frame, the
/// waiting read is answered.
/// </summary>
[Collection(DicomWebArchiveCollection.Name)]
public sealed class ReadAdmissionEndToEndTests(ArchiveFixture archive)
{
    private const int Size = 4096;

    [Fact]
    public async Task OneSlot_TheNextReadWaits_OneMoreIsRefused_AndTheWaitingOneIsAnsweredWhenTheSlotIsFree()
    {
        using var gateway = await archive.StartGatewayAsync("--Pacs:DicomWeb:ReadConcurrency", "1", "--Pacs:DicomWeb:ReadConcurrencyDuringIngest", "1",
            "--Pacs:DicomWeb:ReadQueueLimit", "1", "--Pacs:DicomWeb:ReadSlotMilliseconds", "600000");
        var study = SyntheticStudy.Create("MR", "ADMISSION^BIG", slices: 1);
        var dataset = study.Instances[0].Dataset;
        dataset.SetUInt16(DicomTag.Rows, DicomVR.US, Size);
        dataset.SetUInt16(DicomTag.Columns, DicomVR.US, Size);
        var pixels = new byte[Size * Size * 2];
        new Random(17).NextBytes(pixels);
        dataset.Set(DicomTag.PixelData, DicomVR.OW, pixels);
        var path = Path.Combine(archive.WorkDirectory, $"admission-{study.PatientId}.dcm");
        await File.WriteAllBytesAsync(path, study.Instances[0].ToBytes());
        var (code, output) = await ChildProcess.RunAsync("storescu", ["-aec", ArchiveFixture.AeTitle, "127.0.0.1",
            gateway.DicomPort.ToString(CultureInfo.InvariantCulture), path]);
        Assert.True(code == 0, output);

        var root = $"http://127.0.0.1:{gateway.HttpPort}";
        using var slowReader = new HttpClient(new AuthenticatingHandler(() => root, "admin", ArchiveFixture.AdminPassword)) { Timeout = TimeSpan.FromSeconds(60) };
        using var otherReader = new HttpClient(new AuthenticatingHandler(() => root, "admin", ArchiveFixture.AdminPassword)) { Timeout = TimeSpan.FromSeconds(60) };
        var instance = study.Instances[0].Dataset.GetString(DicomTag.SOPInstanceUID);
        var frame = $"{root}/dicom-web/studies/{study.StudyInstanceUid}/series/{study.SeriesInstanceUid}/instances/{instance}/frames/1";
        var search = $"{root}/dicom-web/studies?PatientID={study.PatientId}";

        // The headers arrive, the body is not read: the handler is left writing 32 MiB into full socket buffers.
        using var held = await slowReader.GetAsync(frame, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);

        var waiting = otherReader.GetAsync(search);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(waiting.IsCompleted, "a read was answered while the only slot was held");

        using (var refused = await otherReader.GetAsync(search))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        var body = await held.Content.ReadAsByteArrayAsync();
        Assert.True(body.Length > pixels.Length, $"the frame's answer had {body.Length} bytes");
        using var answered = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Contains(study.StudyInstanceUid, await answered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
