using System.Globalization;
using System.Net;
using Pacs.Dicom;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Read admission (issue 17 §1, docs/operations.md "Configuration"): a gateway with one read slot. A reader that asks
/// for a 32 MiB frame and does not read it holds the slot. With room for one waiting read, the next read waits and the
/// one after that is answered 503 with Retry-After and a problem document; a C-GET's sub-operations wait for the slot
/// as a reader's frames do. Once the slow reader has its frame, the waiting ones are answered.
/// </summary>
[Collection(DicomWebArchiveCollection.Name)]
public sealed class ReadAdmissionEndToEndTests(ArchiveFixture archive)
{
    private const int Size = 4096;

    [Fact]
    public async Task OneSlot_TheNextReadWaits_OneMoreIsRefused_AndTheWaitingOneIsAnsweredWhenTheSlotIsFree()
    {
        using var gateway = await StartAsync(queueLimit: 1);
        var (study, pixels) = await StoreLargeInstanceAsync(gateway);
        var root = $"http://127.0.0.1:{gateway.HttpPort}";
        using var slowReader = Reader(root);
        using var otherReader = Reader(root);
        var search = $"{root}/dicom-web/studies?PatientID={study.PatientId}";

        // The headers arrive, the body is not read: the handler is left writing 32 MiB into full socket buffers.
        using var held = await slowReader.GetAsync(FrameUrl(root, study), HttpCompletionOption.ResponseHeadersRead);
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

    [Fact]
    public async Task OneSlot_ACGetWaitsForItAsAReadersFramesDo()
    {
        using var gateway = await StartAsync(queueLimit: 100);
        var (study, pixels) = await StoreLargeInstanceAsync(gateway);
        var root = $"http://127.0.0.1:{gateway.HttpPort}";
        using var slowReader = Reader(root);
        using var held = await slowReader.GetAsync(FrameUrl(root, study), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);

        var dir = Directory.CreateTempSubdirectory("pacs-admission-get-").FullName;
        try
        {
            var get = ChildProcess.RunAsync("getscu", ["-S", "-aec", ArchiveFixture.AeTitle, "-od", dir, "127.0.0.1",
                gateway.DicomPort.ToString(CultureInfo.InvariantCulture), "-k", "QueryRetrieveLevel=STUDY", "-k", $"StudyInstanceUID={study.StudyInstanceUid}"], 120);
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(get.IsCompleted, "the C-GET's sub-operation ran while the only slot was held");
            Assert.Empty(Directory.GetFiles(dir));

            Assert.True((await held.Content.ReadAsByteArrayAsync()).Length > pixels.Length);
            var (code, output) = await get.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.True(code == 0, output);
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private Task<ExtraGateway> StartAsync(int queueLimit) =>
        archive.StartGatewayAsync("--Pacs:DicomWeb:ReadConcurrency", "1", "--Pacs:DicomWeb:ReadConcurrencyDuringIngest", "1",
            "--Pacs:DicomWeb:ReadQueueLimit", queueLimit.ToString(CultureInfo.InvariantCulture), "--Pacs:DicomWeb:ReadSlotMilliseconds", "600000");

    private static HttpClient Reader(string root) =>
        new(new AuthenticatingHandler(() => root, "admin", ArchiveFixture.AdminPassword)) { Timeout = TimeSpan.FromSeconds(60) };

    private static string FrameUrl(string root, SyntheticStudy study) =>
        $"{root}/dicom-web/studies/{study.StudyInstanceUid}/series/{study.SeriesInstanceUid}/instances/{study.Instances[0].Dataset.GetString(DicomTag.SOPInstanceUID)}/frames/1";

    // One MR instance of 4096 x 4096 16-bit pixels (32 MiB): more than the socket buffers between a gateway and a
    // client that reads nothing hold, so the frame's handler stays in its slot.
    private async Task<(SyntheticStudy Study, byte[] Pixels)> StoreLargeInstanceAsync(ExtraGateway gateway)
    {
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
        return (study, pixels);
    }
}
