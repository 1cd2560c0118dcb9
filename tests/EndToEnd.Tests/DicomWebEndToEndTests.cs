using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Pacs.Dicom;
using Pacs.Dicom.IO;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// DICOMweb against a running archive (PostgreSQL + silo + gateway processes): instances stored with storescu, then
/// QIDO-RS, WADO-RS retrieve, metadata, frames, bulk data and DELETE over HTTP, each compared with the files sent.
/// </summary>
[Collection(DicomWebArchiveCollection.Name)]
public sealed class DicomWebEndToEndTests(ArchiveFixture archive)
{
    private static readonly string[] Files =
    [
        "CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "rtdose.dcm",
        "SC_rgb_rle_2frame.dcm", "JPEG2000.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_small_odd.dcm",
    ];

    private const string PerfStudy = "1.2.826.0.1.3680043.8.498.77001";
    private const string PerfSeries = "1.2.826.0.1.3680043.8.498.77001.1";
    private const int PerfInstances = 500;

    private static readonly SemaphoreSlim StoreOnce = new(1, 1);
    private static Dictionary<string, Stored>? _stored;

    public sealed record Stored(string Path, DicomFile File, string Study, string Series, string Sop);

    private string Base => $"http://127.0.0.1:{archive.HttpPort}/dicom-web";

    private async Task<Dictionary<string, Stored>> StoreAsync()
    {
        await StoreOnce.WaitAsync();
        try
        {
            if (_stored is not null)
            {
                return _stored;
            }

            var dir = Path.Combine(archive.RepoRoot, "tests", "Dicom.Tests", "Corpus", "test_files");
            Directory.CreateDirectory(archive.WorkDirectory);
            var result = new Dictionary<string, Stored>(StringComparer.Ordinal);
            foreach (var name in Files)
            {
                // Several corpus files are one instance in different encodings (same SOP Instance UID): each gets a
                // SOP Instance UID of its own so that none replaces another.
                var original = DicomFile.Open(await File.ReadAllBytesAsync(Path.Combine(dir, name)));
                var unique = $"{original.Dataset.GetString(DicomTag.SOPInstanceUID)}.{Array.IndexOf(Files, name) + 1}";
                if (unique.Length > 64)
                {
                    unique = $"2.25.{Array.IndexOf(Files, name) + 1}{Guid.NewGuid().ToString("N")[..16].Select(c => (int)c % 10).Aggregate("", (a, d) => a + d)}";
                }

                original.Dataset.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, unique);
                original.FileMetaInformation.SetString(DicomTag.MediaStorageSOPInstanceUID, DicomVR.UI, unique);
                var path = Path.Combine(archive.WorkDirectory, name);
                await File.WriteAllBytesAsync(path, original.ToBytes());
                var file = DicomFile.Open(await File.ReadAllBytesAsync(path));
                var ds = file.Dataset;
                result[name] = new Stored(path, file, ds.GetString(DicomTag.StudyInstanceUID)!, ds.GetString(DicomTag.SeriesInstanceUID)!, ds.GetString(DicomTag.SOPInstanceUID)!);
                await StoreScuAsync(path, file.TransferSyntax.Uid);
            }

            // One 500-instance series (CT_small with new UIDs) for paging and the metadata latency.
            var perfDir = Path.Combine(archive.WorkDirectory, "perf");
            Directory.CreateDirectory(perfDir);
            var template = DicomFile.Open(await File.ReadAllBytesAsync(Path.Combine(dir, "CT_small.dcm")));
            var paths = new List<string>();
            for (var i = 1; i <= PerfInstances; i++)
            {
                var sop = $"{PerfSeries}.{i}";
                template.Dataset.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, PerfStudy);
                template.Dataset.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, PerfSeries);
                template.Dataset.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, sop);
                template.Dataset.SetString(DicomTag.InstanceNumber, DicomVR.IS, i.ToString(CultureInfo.InvariantCulture));
                template.Dataset.SetString(DicomTag.PatientID, DicomVR.LO, "WEB-PERF");
                template.FileMetaInformation.SetString(DicomTag.MediaStorageSOPInstanceUID, DicomVR.UI, sop);
                var p = Path.Combine(perfDir, $"{i:D4}.dcm");
                await File.WriteAllBytesAsync(p, template.ToBytes());
                paths.Add(p);
            }
            var (code, log) = await ChildProcess.RunAsync("storescu", ["-aec", ArchiveFixture.AeTitle, "127.0.0.1", archive.DicomPort.ToString(CultureInfo.InvariantCulture), .. paths], 300);
            Assert.True(code == 0, log);
            return _stored = result;
        }
        finally
        {
            StoreOnce.Release();
        }
    }

    private async Task StoreScuAsync(string path, string syntax)
    {
        var option = syntax switch
        {
            "1.2.840.10008.1.2.4.50" => "-xy",
            "1.2.840.10008.1.2.4.90" => "-xv",
            "1.2.840.10008.1.2.4.91" => "-xw",
            "1.2.840.10008.1.2.5" => "-xr",
            "1.2.840.10008.1.2.2" => "-xb",
            "1.2.840.10008.1.2" => "-xi",
            _ => "-x=",
        };
        var (code, log) = await ChildProcess.RunAsync("storescu", ["-v", option, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", archive.DicomPort.ToString(CultureInfo.InvariantCulture), path], 120);
        Assert.True(code == 0 && log.Contains("(Success)", StringComparison.Ordinal), $"{path}: {log}\n{archive.GatewayLog}");
    }

    private async Task<HttpResponseMessage> GetAsync(string relative, string? accept = null, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Base + relative);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        configure?.Invoke(request);
        return await archive.Http.SendAsync(request);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        Assert.Equal("application/dicom+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<List<(string ContentType, byte[] Body)>> PartsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        var contentType = response.Content.Headers.ContentType!;
        Assert.Equal("multipart/related", contentType.MediaType);
        var boundary = contentType.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new MultipartReader(boundary, new MemoryStream(body)) { BodyLengthLimit = null };
        var parts = new List<(string, byte[])>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var copy = new MemoryStream();
            await section.Body.CopyToAsync(copy);
            parts.Add((section.ContentType!, copy.ToArray()));
        }
        return parts;
    }

    private static string? Str(JsonElement obj, string tag) =>
        obj.TryGetProperty(tag, out var a) && a.TryGetProperty("Value", out var v) ? v[0].ValueKind == JsonValueKind.String ? v[0].GetString() : v[0].ToString() : null;

    private static HashSet<string> Uids(JsonElement array, string tag) => array.EnumerateArray().Select(e => Str(e, tag)!).ToHashSet(StringComparer.Ordinal);

    // ---------------- QIDO-RS ----------------

    [Fact]
    public async Task Qido_StudyUidList_CommaAndBackslash_ReturnBoth()
    {
        var s = await StoreAsync();
        var (a, b) = (s["CT_small.dcm"].Study, s["JPEG2000.dcm"].Study);
        foreach (var list in new[] { $"{a},{b}", $"{a}\\{b}" })
        {
            var result = await JsonAsync(await GetAsync($"/studies?StudyInstanceUID={Uri.EscapeDataString(list)}"));
            Assert.Equal(new HashSet<string> { a, b }, Uids(result, "0020000D"));
        }
    }

    [Fact]
    public async Task Qido_KeywordAndTag_SameAnswer_WithDefaultsAndRetrieveUrl()
    {
        var s = await StoreAsync();
        var ct = s["CT_small.dcm"];
        var patientId = ct.File.Dataset.GetString(DicomTag.PatientID)!;
        var byKeyword = await JsonAsync(await GetAsync($"/studies?PatientID={Uri.EscapeDataString(patientId)}"));
        var byTag = await JsonAsync(await GetAsync($"/studies?00100020={Uri.EscapeDataString(patientId)}"));
        Assert.Equal(byKeyword.GetRawText(), byTag.GetRawText());
        var study = byKeyword.EnumerateArray().Single(e => Str(e, "0020000D") == ct.Study);
        Assert.Equal(patientId, Str(study, "00100020"));
        Assert.Equal($"{Base}/studies/{ct.Study}", Str(study, "00081190"));
        Assert.Equal("1", Str(study, "00201208")); // NumberOfStudyRelatedInstances
        Assert.Equal("CT", Str(study, "00080061"));
        Assert.True(study.TryGetProperty("00080020", out _), "StudyDate is a default return attribute");
    }

    [Fact]
    public async Task Qido_WildcardRangeModalitiesFuzzy_MatchWhatWasStored()
    {
        var s = await StoreAsync();
        var ct = s["CT_small.dcm"];
        var ds = ct.File.Dataset;
        var name = ds.GetString(DicomTag.PatientName)!;
        var date = ds.GetString(DicomTag.StudyDate)!;

        var wildcard = await JsonAsync(await GetAsync($"/studies?PatientName={Uri.EscapeDataString("*" + name[1..^1] + "*")}"));
        Assert.Contains(ct.Study, Uids(wildcard, "0020000D"));
        var question = await JsonAsync(await GetAsync($"/studies?PatientName={Uri.EscapeDataString("?" + name[1..])}"));
        Assert.Contains(ct.Study, Uids(question, "0020000D"));

        var range = await JsonAsync(await GetAsync($"/studies?StudyDate={date}-{date}"));
        Assert.Contains(ct.Study, Uids(range, "0020000D"));
        Assert.All(range.EnumerateArray(), e => Assert.Equal(date, Str(e, "00080020")));
        var openEnd = await JsonAsync(await GetAsync($"/studies?StudyDate={date}-"));
        Assert.Contains(ct.Study, Uids(openEnd, "0020000D"));
        var before = await GetAsync($"/studies?StudyDate=-18000101");
        Assert.Equal(HttpStatusCode.NoContent, before.StatusCode);

        var modalities = await JsonAsync(await GetAsync("/studies?ModalitiesInStudy=CT,MR"));
        var modalityUids = Uids(modalities, "0020000D");
        Assert.Contains(ct.Study, modalityUids);
        Assert.Contains(s["MR_small.dcm"].Study, modalityUids);
        Assert.DoesNotContain(s["SC_rgb_jpeg_dcmtk.dcm"].Study, modalityUids);

        // fuzzymatching=true: a prefix of a name word matches (PN prefix-word matching).
        var family = name.Split('^')[0];
        var fuzzy = await JsonAsync(await GetAsync($"/studies?PatientName={Uri.EscapeDataString(family[..2].ToLowerInvariant())}&fuzzymatching=true"));
        Assert.Contains(ct.Study, Uids(fuzzy, "0020000D"));
        var notFuzzy = await GetAsync($"/studies?PatientName={Uri.EscapeDataString(family[..2].ToLowerInvariant())}&fuzzymatching=false");
        Assert.Equal(HttpStatusCode.NoContent, notFuzzy.StatusCode);
    }

    [Fact]
    public async Task Qido_Includefield_RepeatedCommaAndAll()
    {
        var s = await StoreAsync();
        var ct = s["CT_small.dcm"];
        var series = await JsonAsync(await GetAsync($"/studies/{ct.Study}/series?includefield=00080070&includefield=SeriesDate,00180050"));
        var one = Assert.Single(series.EnumerateArray());
        Assert.Equal(ct.File.Dataset.GetString(DicomTag.Manufacturer), Str(one, "00080070"));
        Assert.True(one.TryGetProperty("00080021", out _));
        var instances = await JsonAsync(await GetAsync($"/studies/{ct.Study}/series/{ct.Series}/instances?includefield=all"));
        var instance = Assert.Single(instances.EnumerateArray());
        Assert.Equal(ct.Sop, Str(instance, "00080018"));
        Assert.Equal(ct.File.Dataset.GetString(DicomTag.ImageType)?.Split('\\')[0], Str(instance, "00080008"));
        Assert.Equal($"{Base}/studies/{ct.Study}/series/{ct.Series}/instances/{ct.Sop}", Str(instance, "00081190"));
    }

    [Fact]
    public async Task Qido_Paging_LimitOffsetAndWarningWhenServerCaps()
    {
        await StoreAsync();
        var all = new List<string>();
        for (var offset = 0; offset < PerfInstances; offset += 40)
        {
            var page = await JsonAsync(await GetAsync($"/studies/{PerfStudy}/series/{PerfSeries}/instances?limit=40&offset={offset}"));
            all.AddRange(page.EnumerateArray().Select(e => Str(e, "00080018")!));
        }
        Assert.Equal(PerfInstances, all.Count);
        Assert.Equal(PerfInstances, all.Distinct().Count());

        var capped = await GetAsync($"/studies/{PerfStudy}/instances");
        var cappedJson = await JsonAsync(capped);
        Assert.Equal(ArchiveFixture.MaxQidoResults, cappedJson.GetArrayLength());
        var warning = Assert.Single(capped.Headers.GetValues("Warning"));
        Assert.StartsWith("299 ", warning, StringComparison.Ordinal);
        Assert.Contains("The number of results exceeded the maximum supported by the server. Additional results can be requested.", warning, StringComparison.Ordinal);

        var notCapped = await GetAsync($"/studies/{PerfStudy}/instances?limit=10");
        Assert.Equal(10, (await JsonAsync(notCapped)).GetArrayLength());
        Assert.False(notCapped.Headers.Contains("Warning"));
    }

    [Theory]
    [InlineData("/studies?StudyDate=notadate")]
    [InlineData("/studies?limit=-1")]
    [InlineData("/studies?NoSuchKeyword=1")]
    [InlineData("/studies?fuzzymatching=maybe")]
    public async Task Qido_BadParameter_400ProblemDetails(string query)
    {
        var response = await GetAsync(query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Qido_NoMatch_204()
    {
        await StoreAsync();
        var response = await GetAsync("/studies?PatientID=NOBODY-AT-ALL");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    // ---------------- WADO-RS retrieve ----------------

    [Fact]
    public async Task Retrieve_StoredSyntax_DataSetsByteIdentical()
    {
        var s = await StoreAsync();
        foreach (var (name, stored) in s)
        {
            var parts = await PartsAsync(await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}", "multipart/related; type=\"application/dicom\"; transfer-syntax=*"));
            var (contentType, body) = Assert.Single(parts);
            Assert.Equal($"application/dicom; transfer-syntax={stored.File.TransferSyntax.Uid}", contentType);
            // storescu may re-encode what it reads (group lengths, padding): the reference is the stored blob.
            var blob = Assert.Single(Directory.GetFiles(Path.Combine(archive.StorageRoot, stored.Study, stored.Series), stored.Sop + ".*"));
            var received = DicomReader.ReadFile(body);
            Assert.Equal(stored.File.TransferSyntax.Uid, received.FileMetaInformation!.GetString(DicomTag.TransferSyntaxUID));
            Assert.Equal(stored.Sop, received.FileMetaInformation!.GetString(DicomTag.MediaStorageSOPInstanceUID));
            Assert.True((await File.ReadAllBytesAsync(blob)).AsSpan().SequenceEqual(body.AsSpan((int)received.DatasetOffset)), $"{name}: data set bytes differ from the blob");
            // ...and its values are those of the file sent.
            foreach (var e in stored.File.Dataset)
            {
                if (e.Sequence is not null || e.Fragments is not null || e.Tag.IsGroupLength || e.Tag.Value == 0xFFFCFFFC)
                {
                    continue;
                }

                Assert.True(received.Dataset.TryGetElement(e.Tag, out var r) && e.Value.Span.SequenceEqual(r.Value.Span), $"{name}: {e.Tag} differs");
            }
        }
    }

    [Fact]
    public async Task Retrieve_StudyAndSeries_EveryInstanceOnce()
    {
        await StoreAsync();
        var parts = await PartsAsync(await GetAsync($"/studies/{PerfStudy}/series/{PerfSeries}"));
        Assert.Equal(PerfInstances, parts.Count);
        var sops = parts.Select(p => DicomReader.ReadFile(p.Body, DicomReadOptions.HeaderOnly).Dataset.GetString(DicomTag.SOPInstanceUID)).ToHashSet();
        Assert.Equal(PerfInstances, sops.Count);
    }

    [Theory]
    [InlineData("MR_small_implicit.dcm", "1.2.840.10008.1.2.1")]
    [InlineData("MR_small.dcm", "1.2.840.10008.1.2")]
    [InlineData("MR_small_bigendian.dcm", "1.2.840.10008.1.2.1")]
    public async Task Retrieve_NativeConversion_SameValues(string name, string target)
    {
        var s = await StoreAsync();
        var stored = s[name];
        var parts = await PartsAsync(await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}", $"multipart/related; type=application/dicom; transfer-syntax={target}"));
        var (contentType, body) = Assert.Single(parts);
        Assert.Equal($"application/dicom; transfer-syntax={target}", contentType);
        var received = DicomFile.Open(body);
        Assert.Equal(target, received.TransferSyntax.Uid);
        var expected = stored.File.Dataset;
        foreach (var e in expected)
        {
            // storescu drops Data Set Trailing Padding when it re-encodes a file, so the archive never had it.
            if (e.Sequence is not null || e.Tag.Value == 0xFFFCFFFC)
            {
                continue;
            }

            Assert.True(received.Dataset.TryGetElement(e.Tag, out var r), $"{name}: {e.Tag} missing");
            Assert.True(e.Value.Span.SequenceEqual(r.Value.Span), $"{name}: {e.Tag} differs");
        }
    }

    [Fact]
    public async Task Retrieve_CompressedAskedAsNative_IsDecodedButBigEndian406()
    {
        var s = await StoreAsync();
        var jpeg = s["SC_rgb_jpeg_dcmtk.dcm"];
        var path = $"/studies/{jpeg.Study}/series/{jpeg.Series}/instances/{jpeg.Sop}";
        // Baseline JPEG decoded (PS3.18 8.7.3.5.2 names the syntax): one native frame, marked lossy (PS3.3 C.7.6.1.1.5).
        var part = Assert.Single(await PartsAsync(await GetAsync(path, "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1")));
        var served = DicomReader.ReadFile(part.Body);
        Assert.Equal(DicomTransferSyntax.ExplicitVRLittleEndian, served.TransferSyntax);
        Assert.True(served.Dataset.TryGetElement(DicomTag.PixelData, out var pixels));
        Assert.Equal(100 * 100 * 3, pixels.Value.Length);
        Assert.Equal("01", served.Dataset.GetString(DicomTag.LossyImageCompression));
        Assert.Equal("YBR_FULL", served.Dataset.GetString(DicomTag.PhotometricInterpretation));

        var response = await GetAsync(path, "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.2");
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Retrieve_UnknownUids_404()
    {
        await StoreAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/studies/1.2.3.4.5.6.7")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/studies/1.2.3.4.5.6.7/metadata")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/studies/{PerfStudy}/series/1.2.3/metadata")).StatusCode);
    }

    // ---------------- Metadata ----------------

    [Fact]
    public async Task Metadata_AgreesWithStoredHeader_BulkDataUriForPixelData()
    {
        var s = await StoreAsync();
        foreach (var (name, stored) in s)
        {
            var metadata = await JsonAsync(await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}/metadata"));
            var obj = Assert.Single(metadata.EnumerateArray());
            var ds = stored.File.Dataset;
            Assert.Equal(stored.Sop, Str(obj, "00080018"));
            Assert.Equal(ds.GetString(DicomTag.SOPClassUID), Str(obj, "00080016"));
            Assert.Equal(ds.GetString(DicomTag.Modality), Str(obj, "00080060"));
            if (ds.GetUInt16(DicomTag.Rows) is { } rows)
            {
                Assert.Equal(rows.ToString(CultureInfo.InvariantCulture), Str(obj, "00280010"));
                var uri = obj.GetProperty("7FE00010").GetProperty("BulkDataURI").GetString();
                Assert.Equal($"{Base}/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}/bulkdata/7FE00010", uri);
            }
        }
    }

    [Fact]
    public async Task Metadata_ETag_IfNoneMatch304_Gzip()
    {
        await StoreAsync();
        var path = $"/studies/{PerfStudy}/series/{PerfSeries}/metadata";
        var first = await GetAsync(path);
        var plain = await first.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(PerfInstances, JsonDocument.Parse(plain).RootElement.GetArrayLength());
        var etag = first.Headers.ETag!;
        Assert.False(etag.IsWeak);

        var again = await GetAsync(path);
        Assert.Equal(etag, again.Headers.ETag);
        Assert.Equal(plain, await again.Content.ReadAsByteArrayAsync()); // byte-stable

        var notModified = await GetAsync(path, configure: r => r.Headers.IfNoneMatch.Add(etag));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        var gz = await GetAsync(path, configure: r => r.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip")));
        Assert.Equal("gzip", Assert.Single(gz.Content.Headers.ContentEncoding));
        using var inflate = new GZipStream(new MemoryStream(await gz.Content.ReadAsByteArrayAsync()), CompressionMode.Decompress);
        using var inflated = new MemoryStream();
        await inflate.CopyToAsync(inflated);
        Assert.Equal(plain, inflated.ToArray());
        Assert.NotEqual(etag, gz.Headers.ETag);

        var study = await JsonAsync(await GetAsync($"/studies/{PerfStudy}/metadata"));
        Assert.Equal(PerfInstances, study.GetArrayLength());
    }

    [Fact]
    public async Task Metadata_Series500_RepeatedRequestsSameBytesWithServerTiming()
    {
        // A functional check only: the latency of this series is measured by loadtests/series-metadata-bench.sh
        // (docs/benchmarks.md), in its own process against a cluster that does nothing else.
        await StoreAsync();
        var path = $"/studies/{PerfStudy}/series/{PerfSeries}/metadata";
        byte[]? first = null;
        for (var i = 0; i < 3; i++)
        {
            using var response = await GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsByteArrayAsync();
            first ??= body;
            Assert.Equal(first, body);
            Assert.Contains("total;dur=", string.Join(",", response.Headers.GetValues("Server-Timing")), StringComparison.Ordinal);
        }
        using var document = JsonDocument.Parse(first!);
        Assert.Equal(PerfInstances, document.RootElement.GetArrayLength());
        Assert.Equal($"{PerfSeries}.{PerfInstances}", document.RootElement[PerfInstances - 1].GetProperty("00080018").GetProperty("Value")[0].GetString());
    }

    // ---------------- Frames and bulk data ----------------

    private static byte[] PixelData(DicomFile file) => file.Dataset.TryGetElement(DicomTag.PixelData, out var e) ? e.Value.ToArray() : throw new InvalidOperationException("no pixel data");

    [Theory]
    [InlineData("CT_small.dcm")]
    [InlineData("MR_small_implicit.dcm")]
    [InlineData("MR_small_bigendian.dcm")]
    [InlineData("SC_rgb_small_odd.dcm")]
    public async Task Frames_NativeSingleFrame_EqualsStoredPixels(string name)
    {
        var s = await StoreAsync();
        var stored = s[name];
        var parts = await PartsAsync(await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}/frames/1",
            "multipart/related; type=application/octet-stream; transfer-syntax=*"));
        var (contentType, body) = Assert.Single(parts);
        Assert.Equal("application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1", contentType);
        var pixels = PixelData(stored.File);
        Assert.Equal(pixels.AsSpan(0, body.Length).ToArray(), body);
        Assert.True(body.Length >= pixels.Length - 1, "the frame is the whole value of a single-frame instance");
    }

    [Fact]
    public async Task Frames_NativeMultiFrame_EachFrameItsSlice()
    {
        var s = await StoreAsync();
        var stored = s["rtdose.dcm"];
        var ds = stored.File.Dataset;
        var frames = ds.GetInt32(DicomTag.NumberOfFrames)!.Value;
        var size = ds.GetUInt16(DicomTag.Rows)!.Value * ds.GetUInt16(DicomTag.Columns)!.Value * (ds.GetUInt16(DicomTag.BitsAllocated)!.Value / 8);
        var list = string.Join(",", Enumerable.Range(1, frames));
        var parts = await PartsAsync(await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}/frames/{list}"));
        Assert.Equal(frames, parts.Count);
        var pixels = PixelData(stored.File);
        for (var f = 0; f < frames; f++)
        {
            Assert.Equal(pixels.AsSpan(f * size, size).ToArray(), parts[f].Body);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}/frames/{frames + 1}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}/frames/0")).StatusCode);
    }

    [Fact]
    public async Task Frames_RepeatedFrameNumbers_Are400NotAResponseManyTimesTheInstance()
    {
        var s = await StoreAsync();
        var stored = s["rtdose.dcm"];
        // 3,800 times frame 1 once returned 125 MB for one instance.
        var list = string.Join(",", Enumerable.Repeat(1, 3800));
        using var response = await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}/frames/{list}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("more than once", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WadoUri_Region_Is400WithAClearMessage()
    {
        var stored = (await StoreAsync())["CT_small.dcm"];
        using var response = await archive.Http.GetAsync($"http://127.0.0.1:{archive.HttpPort}/wado?requestType=WADO&studyUID={stored.Study}&seriesUID={stored.Series}&objectUID={stored.Sop}&region=0,0,0.5,0.5");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("region", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Qido_NulInValue_Is400NotIndexUnavailable()
    {
        await StoreAsync();
        using var response = await GetAsync("/studies?PatientName=a%00b");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("NUL", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SC_rgb_rle_2frame.dcm", "image/dicom-rle")]
    [InlineData("JPEG2000.dcm", "image/jp2")]
    [InlineData("SC_rgb_jpeg_dcmtk.dcm", "image/jpeg")]
    public async Task Frames_Encapsulated_EqualFragments(string name, string mediaType)
    {
        var s = await StoreAsync();
        var stored = s[name];
        var fragments = stored.File.Dataset.TryGetElement(DicomTag.PixelData, out var e) ? e.Fragments! : throw new InvalidOperationException();
        var frames = stored.File.Dataset.GetInt32(DicomTag.NumberOfFrames) ?? 1;
        var list = string.Join(",", Enumerable.Range(1, frames));
        var parts = await PartsAsync(await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}/frames/{list}",
            "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*"));
        Assert.Equal(frames, parts.Count);
        var syntax = stored.File.TransferSyntax.Uid;
        for (var f = 0; f < frames; f++)
        {
            Assert.Equal($"{mediaType}; transfer-syntax={syntax}", parts[f].ContentType);
            var expected = frames == fragments.Items.Count
                ? fragments.Items[f].Data.ToArray()
                : fragments.Items.SelectMany(x => x.Data.ToArray()).ToArray();
            Assert.Equal(expected, parts[f].Body);
        }
        // Asked for decompressed octets: cannot be produced.
        var refused = await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}/frames/1", "multipart/related; type=\"application/octet-stream\"");
        Assert.Equal(HttpStatusCode.NotAcceptable, refused.StatusCode);
    }

    [Fact]
    public async Task BulkData_PixelDataUriWithoutAccept_SinglePartValue()
    {
        var s = await StoreAsync();
        var stored = s["CT_small.dcm"];
        var metadata = await JsonAsync(await GetAsync($"/studies/{stored.Study}/series/{stored.Series}/instances/{stored.Sop}/metadata"));
        var uri = metadata[0].GetProperty("7FE00010").GetProperty("BulkDataURI").GetString()!;
        var response = await archive.Http.GetAsync(uri);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(PixelData(stored.File), await response.Content.ReadAsByteArrayAsync());

        var multipart = await PartsAsync(await GetAsync(new Uri(uri).AbsolutePath["/dicom-web".Length..], "multipart/related; type=\"application/octet-stream\""));
        Assert.Equal(PixelData(stored.File), Assert.Single(multipart).Body);
    }

    // ---------------- DELETE ----------------

    [Fact]
    public async Task Delete_InstanceSeriesStudy_RemovedFromIndexAndBlobStore()
    {
        await StoreAsync();
        var dir = Path.Combine(archive.RepoRoot, "tests", "Dicom.Tests", "Corpus", "test_files");
        var template = DicomFile.Open(await File.ReadAllBytesAsync(Path.Combine(dir, "MR_small.dcm")));
        var study = "1.2.826.0.1.3680043.8.498.77002";
        var series = study + ".1";
        var sops = new[] { series + ".1", series + ".2" };
        var paths = new List<string>();
        foreach (var sop in sops)
        {
            template.Dataset.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, study);
            template.Dataset.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, series);
            template.Dataset.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, sop);
            template.FileMetaInformation.SetString(DicomTag.MediaStorageSOPInstanceUID, DicomVR.UI, sop);
            var p = Path.Combine(archive.WorkDirectory, sop + ".dcm");
            await File.WriteAllBytesAsync(p, template.ToBytes());
            paths.Add(p);
        }
        var (code, log) = await ChildProcess.RunAsync("storescu", ["-aec", ArchiveFixture.AeTitle, "127.0.0.1", archive.DicomPort.ToString(CultureInfo.InvariantCulture), .. paths]);
        Assert.True(code == 0, log);
        int Blobs() => Directory.Exists(Path.Combine(archive.StorageRoot, study)) ? Directory.GetFiles(Path.Combine(archive.StorageRoot, study), "*", SearchOption.AllDirectories).Length : 0;
        Assert.Equal(2, Blobs());
        Assert.Equal(2, (await JsonAsync(await GetAsync($"/studies/{study}/series/{series}/metadata"))).GetArrayLength());

        var deleteOne = await archive.Http.DeleteAsync($"{Base}/studies/{study}/series/{series}/instances/{sops[0]}");
        Assert.Equal(HttpStatusCode.NoContent, deleteOne.StatusCode);
        Assert.Equal(1, Blobs());
        // The series metadata the grain kept is rebuilt without the deleted instance.
        var remaining = await JsonAsync(await GetAsync($"/studies/{study}/series/{series}/metadata"));
        Assert.Equal(sops[1], Str(Assert.Single(remaining.EnumerateArray()), "00080018"));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/studies/{study}/series/{series}/instances/{sops[0]}/metadata")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await archive.Http.DeleteAsync($"{Base}/studies/{study}/series/{series}/instances/{sops[0]}")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await archive.Http.DeleteAsync($"{Base}/studies/{study}")).StatusCode);
        Assert.Equal(0, Blobs());
        Assert.Equal(HttpStatusCode.NoContent, (await GetAsync($"/studies?StudyInstanceUID={study}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/studies/{study}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await archive.Http.DeleteAsync($"{Base}/studies/{study}")).StatusCode);
    }
}
