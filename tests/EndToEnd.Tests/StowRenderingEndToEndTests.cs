using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Dicom.Json;
using Pacs.Gateway.Tests.DicomWeb;
using Xunit.Abstractions;

namespace Pacs.EndToEnd.Tests;

/// <summary>A running archive of its own, so that the studies stored here do not change what the DIMSE tests find.</summary>
[CollectionDefinition(Name)]
public sealed class StowArchiveCollection : ICollectionFixture<ArchiveFixture>
{
    public const string Name = "stow-archive";
}

/// <summary>
/// STOW-RS, rendered/thumbnail and WADO-URI against real processes: corpus files stored over HTTP land byte for byte
/// in the blob store and are found by findscu; mixed, bad and mismatched parts get their PS3.18 failure reasons; a
/// 300 MB instance streams through in bounded memory; rendered images decode (PIL) and follow the windowed source.
/// </summary>
[Collection(StowArchiveCollection.Name)]
public sealed class StowRenderingEndToEndTests(ArchiveFixture archive, ITestOutputHelper output)
{
    /// <summary>Corpus files with Part 10 meta headers and distinct SOP Instance UIDs, native and compressed.</summary>
    private static readonly string[] CorpusFiles =
    [
        "CT_small.dcm", "MR_small.dcm", "693_J2KI.dcm", "ExplVR_BigEnd.dcm", "GDCMJ2K_TextGBR.dcm", "SC_jpeg_no_color_transform.dcm",
        "SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_jpeg_dcmd.dcm", "SC_rgb_small_odd.dcm", "SC_ybr_full_422_uncompressed.dcm", "image_dfl.dcm",
        "liver_1frame.dcm", "rtplan.dcm", "test-SR.dcm", "waveform_ecg.dcm", "rtdose_1frame.dcm", "SC_rgb_rle.dcm",
    ];

    private static readonly SemaphoreSlim StoreOnce = new(1, 1);
    private static (HttpStatusCode Status, DicomDataset Response)? _corpus;

    private string Base => $"http://127.0.0.1:{archive.HttpPort.ToString(CultureInfo.InvariantCulture)}";

    private static string CorpusPath(string repoRoot, string file) => Path.Combine(repoRoot, "tests", "Dicom.Tests", "Corpus", "test_files", file);

    private static MultipartContent Multipart(IEnumerable<HttpContent> parts, bool quoteType = true)
    {
        var content = new MultipartContent("related", "stow-" + Guid.NewGuid().ToString("N"));
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", quoteType ? "\"application/dicom\"" : "application/dicom"));
        foreach (var p in parts)
        {
            content.Add(p);
        }

        return content;
    }

    private static ByteArrayContent Part(byte[] bytes, string mediaType = "application/dicom")
    {
        var part = new ByteArrayContent(bytes);
        part.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return part;
    }

    private async Task<(HttpStatusCode Status, DicomDataset Response, string ContentType)> StowAsync(HttpContent content, string? study = null)
    {
        using var response = await archive.Http.PostAsync($"{Base}/dicom-web/studies{(study is null ? "" : "/" + study)}", content);
        var body = await response.Content.ReadAsByteArrayAsync();
        var type = response.Content.Headers.ContentType?.MediaType ?? "";
        var parsed = type == "application/dicom+json" ? DicomJsonReader.Read(body) : new DicomDataset();
        return (response.StatusCode, parsed, type);
    }

    private async Task<(HttpStatusCode Status, DicomDataset Response)> StoreCorpusAsync()
    {
        await StoreOnce.WaitAsync();
        try
        {
            if (_corpus is { } done)
            {
                return done;
            }

            var parts = new List<HttpContent>();
            foreach (var f in CorpusFiles)
            {
                parts.Add(Part(await File.ReadAllBytesAsync(CorpusPath(archive.RepoRoot, f))));
            }

            var (status, response, _) = await StowAsync(Multipart(parts, quoteType: false));
            _corpus = (status, response);
            return _corpus.Value;
        }
        finally
        {
            StoreOnce.Release();
        }
    }

    /// <summary>A small native CT-like instance with fresh UIDs, as a Part 10 file.</summary>
    private static (byte[] File, DicomDataset Dataset) NewInstance(string? study = null, bool withSopInstance = true)
    {
        var ds = new DicomDataset();
        ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
        if (withSopInstance)
        {
            ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        }

        ds.SetString(DicomTag.Modality, DicomVR.CS, "OT");
        ds.SetString(DicomTag.PatientName, DicomVR.PN, "Stow^Test");
        ds.SetString(DicomTag.PatientID, DicomVR.LO, "STOW-E2E");
        ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, study ?? DicomUidGenerator.Generate());
        ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetUInt16(DicomTag.SamplesPerPixel, DicomVR.US, 1);
        ds.SetString(DicomTag.PhotometricInterpretation, DicomVR.CS, "MONOCHROME2");
        ds.SetUInt16(DicomTag.Rows, DicomVR.US, 16);
        ds.SetUInt16(DicomTag.Columns, DicomVR.US, 16);
        ds.SetUInt16(DicomTag.BitsAllocated, DicomVR.US, 8);
        ds.SetUInt16(DicomTag.BitsStored, DicomVR.US, 8);
        ds.SetUInt16(DicomTag.HighBit, DicomVR.US, 7);
        ds.SetUInt16(DicomTag.PixelRepresentation, DicomVR.US, 0);
        ds.Set(DicomTag.PixelData, DicomVR.OB, Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        var file = DicomFile.Create(ds, DicomTransferSyntax.ExplicitVRLittleEndian);
        return (file.ToBytes(), ds);
    }

    private static ushort[] Reasons(DicomDataset response, DicomTag sequence, DicomTag reason) =>
        response.GetSequence(sequence)?.Items.Select(i => i.GetUInt16(reason) ?? 0).ToArray() ?? [];

    private async Task<(string Syntax, byte[] Blob)> StoredBlobAsync(string sopInstanceUid)
    {
        await using var data = NpgsqlDataSource.Create(archive.Database);
        await using var command = data.CreateCommand("select transfer_syntax_uid, blob_key from pacs_instances where sop_instance_uid = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sopInstanceUid });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"{sopInstanceUid} is not in the index");
        var syntax = reader.GetString(0);
        var key = reader.GetString(1);
        return (syntax, await File.ReadAllBytesAsync(Path.Combine(archive.StorageRoot, key)));
    }

    private async Task<List<DicomDataset>> FindImageAsync(string study, string series, string sop)
    {
        var dir = Directory.CreateTempSubdirectory("pacs-find-").FullName;
        try
        {
            var (code, output) = await ChildProcess.RunAsync("findscu", ["-S", "-X", "-od", dir, "-aec", ArchiveFixture.AeTitle, "127.0.0.1",
                archive.DicomPort.ToString(CultureInfo.InvariantCulture), "-k", "QueryRetrieveLevel=IMAGE", "-k", $"StudyInstanceUID={study}",
                "-k", $"SeriesInstanceUID={series}", "-k", $"SOPInstanceUID={sop}", "-k", "SOPClassUID"]);
            Assert.True(code == 0, output);
            var list = new List<DicomDataset>();
            Assert.DoesNotContain("Failed", output, StringComparison.OrdinalIgnoreCase);
            foreach (var f in Directory.GetFiles(dir))
            {
                list.Add(DicomFile.Open(await File.ReadAllBytesAsync(f)).Dataset);
            }

            return list;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Stow_OverTheConfiguredSizes_413ProblemAndSmallerInstancesStillStored()
    {
        // Issue 13: a configurable maximum request size and per-instance size, answered 413.
        using var gateway = await archive.StartGatewayAsync("--Pacs:DicomWeb:MaxStowRequestBytes", "20000", "--Pacs:DicomWeb:MaxStowInstanceBytes", "4000");
        async Task<(HttpStatusCode Status, string Type, string Body)> PostAsync(HttpContent content)
        {
            using var response = await archive.Http.PostAsync($"http://127.0.0.1:{gateway.HttpPort}/dicom-web/studies", content);
            return (response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", await response.Content.ReadAsStringAsync());
        }

        var small = NewInstance();
        var stored = await PostAsync(Multipart([Part(small.File)]));
        Assert.Equal(HttpStatusCode.OK, stored.Status);

        // MR_small (about 10 KB) is one instance over 4,000 bytes in a request under 20,000.
        var instance = await PostAsync(Multipart([Part(await File.ReadAllBytesAsync(CorpusPath(archive.RepoRoot, "MR_small.dcm")))]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, instance.Status);
        Assert.Equal("application/problem+json", instance.Type);
        Assert.Contains("4000 bytes", instance.Body, StringComparison.Ordinal);

        // CT_small (about 39 KB) makes the request itself too long.
        var request = await PostAsync(Multipart([Part(await File.ReadAllBytesAsync(CorpusPath(archive.RepoRoot, "CT_small.dcm")))]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, request.Status);
        Assert.Contains("20000 bytes", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stow_CorpusFiles_AllStoredWith200AndReferencedSopSequence()
    {
        var (status, response) = await StoreCorpusAsync();
        var referenced = response.GetSequence(DicomTag.ReferencedSOPSequence)?.Items ?? [];
        Assert.True(status == HttpStatusCode.OK, $"{status}: {System.Text.Encoding.UTF8.GetString(DicomJsonWriter.ToUtf8Bytes(response))}\n{archive.GatewayLog}");
        Assert.Null(response.GetSequence(DicomTag.FailedSOPSequence));
        Assert.Equal(CorpusFiles.Length, referenced.Count);
        foreach (var f in CorpusFiles)
        {
            var ds = DicomFile.Open(await File.ReadAllBytesAsync(CorpusPath(archive.RepoRoot, f))).Dataset;
            var sop = ds.GetString(DicomTag.SOPInstanceUID)!;
            var item = Assert.Single(referenced, i => i.GetString(DicomTag.ReferencedSOPInstanceUID) == sop);
            Assert.Equal(ds.GetString(DicomTag.SOPClassUID), item.GetString(DicomTag.ReferencedSOPClassUID));
            Assert.Equal($"{Base}/dicom-web/studies/{ds.GetString(DicomTag.StudyInstanceUID)}/series/{ds.GetString(DicomTag.SeriesInstanceUID)}/instances/{sop}",
                item.GetString(DicomTag.RetrieveURL));
        }
    }

    [Fact]
    public async Task Stow_CorpusFiles_BlobIsThePartsDataSetByteForByteAndFindscuSeesIt()
    {
        await StoreCorpusAsync();
        foreach (var f in CorpusFiles)
        {
            var bytes = await File.ReadAllBytesAsync(CorpusPath(archive.RepoRoot, f));
            var read = DicomReader.ReadFile(bytes);
            var sop = read.Dataset.GetString(DicomTag.SOPInstanceUID)!;
            var (syntax, blob) = await StoredBlobAsync(sop);
            Assert.Equal(read.TransferSyntax.Uid, syntax);
            Assert.True(bytes.AsSpan((int)read.DatasetOffset).SequenceEqual(blob), $"{f}: blob differs from the part's data set");
            var found = await FindImageAsync(read.Dataset.GetString(DicomTag.StudyInstanceUID)!, read.Dataset.GetString(DicomTag.SeriesInstanceUID)!, sop);
            Assert.True(found.Count == 1, $"{f}: findscu found {found.Count}");
            Assert.Equal(read.Dataset.GetString(DicomTag.SOPClassUID), found[0].GetString(DicomTag.SOPClassUID));
        }
    }

    [Fact]
    public async Task Stow_MixedGoodAndBadParts_202WithFailureReasons()
    {
        var (good, goodDs) = NewInstance();
        var (noSop, _) = NewInstance(withSopInstance: false);
        var (status, response, _) = await StowAsync(Multipart(
        [
            Part(good),
            Part("this is not DICOM at all, not even close"u8.ToArray()),
            Part(noSop),
            Part("{}"u8.ToArray(), "application/json"),
        ]));
        Assert.Equal(HttpStatusCode.Accepted, status);
        var referenced = Assert.Single(response.GetSequence(DicomTag.ReferencedSOPSequence)!.Items);
        Assert.Equal(goodDs.GetString(DicomTag.SOPInstanceUID), referenced.GetString(DicomTag.ReferencedSOPInstanceUID));
        Assert.Equal([0xC000, 0xA900, 0xC000], Reasons(response, DicomTag.FailedSOPSequence, DicomTag.FailureReason));
        Assert.EndsWith("/dicom-web/studies/" + goodDs.GetString(DicomTag.StudyInstanceUID), response.GetString(DicomTag.RetrieveURL));
    }

    [Fact]
    public async Task Stow_LoneApplicationDicomBody_IsStored()
    {
        var (file, ds) = NewInstance();
        var (status, response, _) = await StowAsync(Part(file));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(ds.GetString(DicomTag.SOPInstanceUID),
            Assert.Single(response.GetSequence(DicomTag.ReferencedSOPSequence)!.Items).GetString(DicomTag.ReferencedSOPInstanceUID));
    }

    [Fact]
    public async Task Stow_AllPartsBad_409()
    {
        var (status, response, type) = await StowAsync(Multipart([Part("garbage"u8.ToArray()), Part(new byte[300])]));
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("application/dicom+json", type);
        Assert.Equal([0xC000, 0xC000], Reasons(response, DicomTag.FailedSOPSequence, DicomTag.FailureReason));
        Assert.Null(response.GetSequence(DicomTag.ReferencedSOPSequence));
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("multipart/related; type=\"application/dicom+json\"; boundary=x")]
    public async Task Stow_WrongMediaType_415ProblemDetails(string contentType)
    {
        var content = new ByteArrayContent(NewInstance().File);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var (status, _, type) = await StowAsync(content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("application/problem+json", type);
    }

    [Fact]
    public async Task Stow_UnparseableBody_400()
    {
        var content = new ByteArrayContent("no boundary in here at all"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=abc");
        var (status, _, _) = await StowAsync(content);
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task Stow_StudyUidNotTheUrls_FailsWith0110AndIsNotStored()
    {
        var urlStudy = DicomUidGenerator.Generate();
        var (matching, matchingDs) = NewInstance(urlStudy);
        var (other, otherDs) = NewInstance();
        var (status, response, _) = await StowAsync(Multipart([Part(matching), Part(other)]), urlStudy);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal([(ushort)0x0110], Reasons(response, DicomTag.FailedSOPSequence, DicomTag.FailureReason));
        Assert.Equal(otherDs.GetString(DicomTag.SOPInstanceUID), response.GetSequence(DicomTag.FailedSOPSequence)!.Items[0].GetString(DicomTag.ReferencedSOPInstanceUID));
        Assert.Equal(matchingDs.GetString(DicomTag.SOPInstanceUID), response.GetSequence(DicomTag.ReferencedSOPSequence)!.Items[0].GetString(DicomTag.ReferencedSOPInstanceUID));
        Assert.Equal($"{Base}/dicom-web/studies/{urlStudy}", response.GetString(DicomTag.RetrieveURL));
        Assert.Empty(await FindImageAsync(otherDs.GetString(DicomTag.StudyInstanceUID)!, otherDs.GetString(DicomTag.SeriesInstanceUID)!, otherDs.GetString(DicomTag.SOPInstanceUID)!));
    }

    [Fact]
    public async Task Stow_300MegabyteInstanceStreamed_GatewayMemoryStaysBounded()
    {
        const int frames = 1200; // 1200 × 512 × 512 bytes = 300 MiB
        var pid = archive.GatewayProcessId;
        // Reset the peak-RSS counter (proc(5), clear_refs 5) so that earlier tests do not hide this one's peak.
        try { await File.WriteAllTextAsync($"/proc/{pid}/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        var before = PeakRssKiB(pid);

        var content = new LargeInstanceContent(frames);
        var (status, response, _) = await StowAsync(Multipart([content]));
        var after = PeakRssKiB(pid);

        Assert.True(status == HttpStatusCode.OK, $"{status}\n{archive.GatewayLog}");
        var sop = Assert.Single(response.GetSequence(DicomTag.ReferencedSOPSequence)!.Items).GetString(DicomTag.ReferencedSOPInstanceUID)!;
        Assert.Equal(content.Sop, sop);
        var growthMiB = (after - before) / 1024.0;
        output.WriteLine($"gateway peak RSS {before / 1024} -> {after / 1024} MiB (+{growthMiB:F0}) for a 300 MiB STOW");
        Assert.True(growthMiB < 150, $"gateway peak RSS grew by {growthMiB:F0} MiB ({before / 1024} -> {after / 1024} MiB) for a 300 MiB instance");

        await using var data = NpgsqlDataSource.Create(archive.Database);
        await using var command = data.CreateCommand("select blob_size from pacs_instances where sop_instance_uid = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sop });
        Assert.Equal(content.DatasetLength, (long)(await command.ExecuteScalarAsync())!);
    }

    private static long PeakRssKiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("VmHWM not found");
    }

    /// <summary>A Part 10 instance with frames × 512 × 512 bytes of pixel data, generated as it is sent.</summary>
    private sealed class LargeInstanceContent : HttpContent
    {
        private readonly byte[] _head;
        private readonly long _pixelLength;

        public LargeInstanceContent(int frames)
        {
            var (_, ds) = NewInstance();
            Sop = ds.GetString(DicomTag.SOPInstanceUID)!;
            ds.Remove(DicomTag.PixelData);
            ds.SetUInt16(DicomTag.Rows, DicomVR.US, 512);
            ds.SetUInt16(DicomTag.Columns, DicomVR.US, 512);
            ds.SetString(DicomTag.NumberOfFrames, DicomVR.IS, frames.ToString(CultureInfo.InvariantCulture));
            _pixelLength = (long)frames * 512 * 512;
            var header = DicomFile.Create(ds, DicomTransferSyntax.ExplicitVRLittleEndian).ToBytes();
            var meta = DicomReader.ReadFile(header).DatasetOffset;
            // (7FE0,0010) OB, reserved, 4-byte length (PS3.5 7.1.2).
            var element = new byte[12];
            BinaryPrimitives.WriteUInt16LittleEndian(element, 0x7FE0);
            BinaryPrimitives.WriteUInt16LittleEndian(element.AsSpan(2), 0x0010);
            element[4] = (byte)'O';
            element[5] = (byte)'B';
            BinaryPrimitives.WriteUInt32LittleEndian(element.AsSpan(8), (uint)_pixelLength);
            _head = [.. header, .. element];
            DatasetLength = _head.Length - meta + _pixelLength;
            Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
        }

        public string Sop { get; }
        public long DatasetLength { get; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(_head);
            var chunk = new byte[1 << 20];
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = (byte)(i * 31 + (i >> 9));
            }

            for (long sent = 0; sent < _pixelLength; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, _pixelLength - sent)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _head.Length + _pixelLength;
            return true;
        }
    }

    // ---- rendered, thumbnail ----

    private async Task<(HttpStatusCode Status, string Type, byte[] Body)> GetAsync(string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Base + path);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await archive.Http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", await response.Content.ReadAsByteArrayAsync());
    }

    private async Task<DicomDataset> CorpusDatasetAsync(string file)
    {
        await StoreCorpusAsync();
        return DicomFile.Open(await File.ReadAllBytesAsync(CorpusPath(archive.RepoRoot, file))).Dataset;
    }

    private static string InstancePath(DicomDataset ds) =>
        $"/dicom-web/studies/{ds.GetString(DicomTag.StudyInstanceUID)}/series/{ds.GetString(DicomTag.SeriesInstanceUID)}/instances/{ds.GetString(DicomTag.SOPInstanceUID)}";

    /// <summary>CT_small's stored values through rescale and its own first window, computed here independently.</summary>
    private static double[] WindowedCt(DicomDataset ds)
    {
        ds.TryGetElement(DicomTag.PixelData, out var pixelData);
        var span = pixelData.Value.Span;
        var slope = double.Parse(ds.GetStrings(DicomTag.RescaleSlope).FirstOrDefault() ?? "1", CultureInfo.InvariantCulture);
        var intercept = double.Parse(ds.GetStrings(DicomTag.RescaleIntercept).FirstOrDefault() ?? "0", CultureInfo.InvariantCulture);
        var centers = ds.GetStrings(DicomTag.WindowCenter);
        var values = new double[span.Length / 2];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadInt16LittleEndian(span[(i * 2)..]) * slope + intercept;
        }

        double c, w;
        if (centers.Length > 0)
        {
            c = double.Parse(centers[0], CultureInfo.InvariantCulture);
            w = double.Parse(ds.GetStrings(DicomTag.WindowWidth)[0], CultureInfo.InvariantCulture);
        }
        else
        {
            c = (values.Min() + values.Max()) / 2;
            w = values.Max() - values.Min();
        }

        return values.Select(v => Math.Clamp((v - c) / w + 0.5, 0, 1) * 255).ToArray();
    }

    [Theory]
    [InlineData(null, "JPEG", 0.98)]
    [InlineData("image/png", "PNG", 0.995)]
    public async Task Rendered_CtSmall_DecodesAtFullSizeFollowingTheWindowedSource(string? accept, string format, double minimum)
    {
        var ds = await CorpusDatasetAsync("CT_small.dcm");
        var (status, type, body) = await GetAsync(InstancePath(ds) + "/rendered", accept);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(accept ?? "image/jpeg", type);
        var decoded = await ImageDecoder.DecodeAsync(body);
        Assert.Equal((format, "L", 128, 128), (decoded.Format, decoded.Mode, decoded.Width, decoded.Height));
        var r = ImageDecoder.Correlation(WindowedCt(ds), decoded.Pixels.Select(p => (double)p).ToArray());
        Assert.True(r > minimum, $"correlation {r:F4}");

        var frame = await GetAsync(InstancePath(ds) + "/frames/1/rendered", accept);
        Assert.Equal(HttpStatusCode.OK, frame.Status);
        Assert.Equal(decoded.Pixels, (await ImageDecoder.DecodeAsync(frame.Body)).Pixels);
    }

    [Fact]
    public async Task Rendered_WindowAndViewportParameters_AreApplied()
    {
        var ds = await CorpusDatasetAsync("CT_small.dcm");
        var (status, _, body) = await GetAsync(InstancePath(ds) + "/rendered?viewport=64,32&window=100,50&accept=image/png");
        Assert.Equal(HttpStatusCode.OK, status);
        var decoded = await ImageDecoder.DecodeAsync(body);
        Assert.Equal((32, 32), (decoded.Width, decoded.Height)); // 128×128 fitted into 64×32
        var full = await ImageDecoder.DecodeAsync((await GetAsync(InstancePath(ds) + "/rendered?accept=image/png")).Body);
        Assert.NotEqual(full.Pixels.Take(1024), decoded.Pixels); // a different window, at a different size
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync(InstancePath(ds) + "/rendered?window=abc")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(InstancePath(ds) + "/frames/2/rendered")).Status);
        Assert.Equal(HttpStatusCode.NotAcceptable, (await GetAsync(InstancePath(ds) + "/rendered", "application/dicom")).Status);
    }

    [Theory]
    [InlineData("SC_rgb_jpeg_dcmd.dcm", 256, 256)] // implicit VR LE, interleaved
    [InlineData("ExplVR_BigEnd.dcm", 80, 60)] // explicit VR BE, planar
    public async Task Rendered_RgbCorpusFile_DecodesToTheSourceColours(string file, int width, int height)
    {
        var ds = await CorpusDatasetAsync(file);
        var (status, type, body) = await GetAsync(InstancePath(ds) + "/rendered", "image/png");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("image/png", type);
        var decoded = await ImageDecoder.DecodeAsync(body);
        Assert.Equal(("RGB", width, height), (decoded.Mode, decoded.Width, decoded.Height));
        ds.TryGetElement(DicomTag.PixelData, out var pixelData);
        var source = pixelData.Value.ToArray();
        var count = width * height;
        var interleaved = new byte[count * 3];
        var planar = ds.GetInt32(DicomTag.PlanarConfiguration) == 1;
        for (var i = 0; i < count; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                interleaved[i * 3 + c] = planar ? source[c * count + i] : source[i * 3 + c];
            }
        }

        Assert.Equal(interleaved, decoded.Pixels);

        var jpeg = await ImageDecoder.DecodeAsync((await GetAsync(InstancePath(ds) + "/rendered")).Body);
        Assert.True(ImageDecoder.Psnr(interleaved, jpeg.Pixels) > 25);
    }

    [Fact]
    public async Task Thumbnail_InstanceSeriesStudy_AreSmallJpegs()
    {
        var ds = await CorpusDatasetAsync("CT_small.dcm");
        var study = $"/dicom-web/studies/{ds.GetString(DicomTag.StudyInstanceUID)}";
        foreach (var path in new[] { InstancePath(ds) + "/thumbnail", $"{study}/series/{ds.GetString(DicomTag.SeriesInstanceUID)}/thumbnail", study + "/thumbnail" })
        {
            var (status, type, body) = await GetAsync(path);
            Assert.True(status == HttpStatusCode.OK, path);
            Assert.Equal("image/jpeg", type);
            var decoded = await ImageDecoder.DecodeAsync(body);
            Assert.Equal((128, 128), (decoded.Width, decoded.Height)); // CT_small is 128×128: never enlarged
        }

        var small = await ImageDecoder.DecodeAsync((await GetAsync(InstancePath(ds) + "/thumbnail?viewport=50,50")).Body);
        Assert.Equal((50, 50), (small.Width, small.Height));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"{study}/series/1.2.3.4/thumbnail")).Status);
    }

    [Fact]
    public async Task ThumbnailAndFrames_CachedOnOneGateway_SameAsFreshAndGoneOnceDeletedThroughAnother()
    {
        // The fixture's gateway keeps its defaults (rendered images cached by blob key, a series' instance rows held
        // for 2 s); the other one has both off, so it renders afresh and asks the index every time.
        using var fresh = await archive.StartGatewayAsync("--Pacs:DicomWeb:RenderedCacheMegabytes", "0", "--Pacs:DicomWeb:InstanceLookupMilliseconds", "0");
        var (file, ds) = NewInstance();
        Assert.Equal(HttpStatusCode.OK, (await StowAsync(Multipart([Part(file)]))).Status);
        var path = InstancePath(ds);

        var first = await GetAsync(path + "/thumbnail");
        var again = await GetAsync(path + "/thumbnail");
        Assert.Equal((HttpStatusCode.OK, "image/jpeg"), (again.Status, again.Type));
        Assert.Equal(first.Body, again.Body);
        var other = await GetFromAsync(fresh.HttpPort, path + "/thumbnail");
        Assert.Equal(HttpStatusCode.OK, other.Status);
        Assert.Equal(other.Body, again.Body); // the held image is what a fresh rendering gives
        var decoded = await ImageDecoder.DecodeAsync(again.Body);
        Assert.Equal((16, 16), (decoded.Width, decoded.Height)); // never enlarged
        var source = Enumerable.Range(0, 256).Select(i => (double)i).ToArray();
        Assert.True(ImageDecoder.Correlation(source, decoded.Pixels.Select(p => (double)p).ToArray()) > 0.98);
        // Other options are other images, not the held one.
        var small = await ImageDecoder.DecodeAsync((await GetAsync(path + "/thumbnail?viewport=8,8")).Body);
        Assert.Equal((8, 8), (small.Width, small.Height));

        const string Frames = "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*";
        var frame = await GetAsync(path + "/frames/1", Frames);
        Assert.Equal(HttpStatusCode.OK, frame.Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(path + "/frames/1", Frames)).Status);

        // Deleted through the other gateway: this one held the series' rows and the thumbnail, and answers 404 at once
        // (the blob is gone, so the index is asked again), not a stale image.
        using (var delete = new HttpRequestMessage(HttpMethod.Delete, $"http://127.0.0.1:{fresh.HttpPort.ToString(CultureInfo.InvariantCulture)}{path}"))
        {
            using var deleted = await archive.Http.SendAsync(delete);
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(path + "/thumbnail")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(path + "/frames/1", Frames)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(path + "/rendered")).Status);
    }

    private async Task<(HttpStatusCode Status, byte[] Body)> GetFromAsync(int httpPort, string path)
    {
        using var response = await archive.Http.GetAsync($"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}{path}");
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Rendered_Jpeg2000Image_IsDecoded()
    {
        // 693_J2KI.dcm: lossy JPEG 2000, 512x512, 14 bits stored (CompressedRenderingEndToEndTests covers the rest).
        var ds = await CorpusDatasetAsync("693_J2KI.dcm");
        var (status, type, body) = await GetAsync(InstancePath(ds) + "/rendered");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("image/jpeg", type);
        Assert.Equal((512, 512), ((await ImageDecoder.DecodeAsync(body)).Width, (await ImageDecoder.DecodeAsync(body)).Height));
        var thumbnail = await GetAsync(InstancePath(ds) + "/thumbnail");
        Assert.Equal(HttpStatusCode.OK, thumbnail.Status);
        Assert.Equal(("JPEG", 128), ((await ImageDecoder.DecodeAsync(thumbnail.Body)).Format, (await ImageDecoder.DecodeAsync(thumbnail.Body)).Width));
    }

    [Fact]
    public async Task Rendered_BaselineJpegInstance_IsServedAsStored()
    {
        var ds = await CorpusDatasetAsync("SC_rgb_dcmtk_+eb+cr.dcm");
        var (status, type, body) = await GetAsync(InstancePath(ds) + "/rendered");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("image/jpeg", type);
        var decoded = await ImageDecoder.DecodeAsync(body);
        Assert.Equal((100, 100), (decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task Rendered_EncapsulatedPdf_IsReturnedAsPdf()
    {
        var pdf = new byte[100_001];
        "%PDF-1.4\n"u8.CopyTo(pdf);
        for (var i = 9; i < pdf.Length; i++)
        {
            pdf[i] = (byte)('a' + i % 26);
        }

        var ds = new DicomDataset();
        ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.104.1");
        ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.Modality, DicomVR.CS, "DOC");
        ds.SetString(DicomTag.PatientID, DicomVR.LO, "STOW-PDF");
        ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetUInt32(DicomTag.EncapsulatedDocumentLength, DicomVR.UL, (uint)pdf.Length);
        ds.SetString(DicomTag.MIMETypeOfEncapsulatedDocument, DicomVR.LO, "application/pdf");
        ds.Set(DicomTag.EncapsulatedDocument, DicomVR.OB, pdf.Concat(new byte[] { 0 }).ToArray());
        var (status, _, _) = await StowAsync(Multipart([Part(DicomFile.Create(ds, DicomTransferSyntax.ExplicitVRLittleEndian).ToBytes())]));
        Assert.Equal(HttpStatusCode.OK, status);

        var rendered = await GetAsync(InstancePath(ds) + "/rendered", "application/pdf, */*");
        Assert.Equal(HttpStatusCode.OK, rendered.Status);
        Assert.Equal("application/pdf", rendered.Type);
        Assert.Equal(pdf, rendered.Body);
    }

    // ---- WADO-URI ----

    private static string Wado(DicomDataset ds, string extra = "") =>
        $"/wado?requestType=WADO&studyUID={ds.GetString(DicomTag.StudyInstanceUID)}&seriesUID={ds.GetString(DicomTag.SeriesInstanceUID)}&objectUID={ds.GetString(DicomTag.SOPInstanceUID)}{extra}";

    [Fact]
    public async Task WadoUri_ApplicationDicom_IsTheStoredDataSetBehindANewMetaHeader()
    {
        var bytes = await File.ReadAllBytesAsync(CorpusPath(archive.RepoRoot, "CT_small.dcm"));
        await StoreCorpusAsync();
        var source = DicomReader.ReadFile(bytes);
        var (status, type, body) = await GetAsync(Wado(source.Dataset, "&contentType=application/dicom"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/dicom", type);
        var served = DicomReader.ReadFile(body);
        Assert.Equal(source.TransferSyntax, served.TransferSyntax);
        Assert.Equal(source.Dataset.GetString(DicomTag.SOPInstanceUID), served.FileMetaInformation!.GetString(DicomTag.MediaStorageSOPInstanceUID));
        Assert.True(bytes.AsSpan((int)source.DatasetOffset).SequenceEqual(body.AsSpan((int)served.DatasetOffset)));

        // Converted on request (native to native): same pixel data, implicit VR.
        var implicitBody = (await GetAsync(Wado(source.Dataset, "&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2"))).Body;
        var converted = DicomReader.ReadFile(implicitBody);
        Assert.Equal(DicomTransferSyntax.ImplicitVRLittleEndian, converted.TransferSyntax);
        source.Dataset.TryGetElement(DicomTag.PixelData, out var a);
        converted.Dataset.TryGetElement(DicomTag.PixelData, out var b);
        Assert.True(a.Value.Span.SequenceEqual(b.Value.Span));
    }

    [Fact]
    public async Task WadoUri_ImageAndErrors()
    {
        var ds = await CorpusDatasetAsync("CT_small.dcm");
        var (status, type, body) = await GetAsync(Wado(ds, "&contentType=image/jpeg&rows=64&columns=64"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("image/jpeg", type);
        Assert.Equal((64, 64), ((await ImageDecoder.DecodeAsync(body)).Width, (await ImageDecoder.DecodeAsync(body)).Height));
        var byDefault = await GetAsync(Wado(ds));
        Assert.Equal("image/jpeg", byDefault.Type);

        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync("/wado?requestType=WADO&studyUID=1.2")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync(Wado(ds).Replace("requestType=WADO", "requestType=XYZ", StringComparison.Ordinal))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/wado?requestType=WADO&studyUID=1.2&seriesUID=1.2.3&objectUID=1.2.3.4")).Status);
        var gif = await GetAsync(Wado(ds, "&contentType=image/gif"));
        Assert.Equal(HttpStatusCode.NotAcceptable, gif.Status);
        Assert.Equal("application/problem+json", gif.Type);
        Assert.Equal(HttpStatusCode.NotAcceptable, (await GetAsync(Wado(ds, "&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.4.50"))).Status);
    }
}
