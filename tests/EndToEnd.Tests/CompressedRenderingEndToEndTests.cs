using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.WebUtilities;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Gateway.Tests.DicomWeb;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// A study of compressed instances stored by STOW against the real gateway and silo: RLE, JPEG-LS, JPEG 2000 and JPEG
/// lossless copies of MR_small render to exactly the pixels of the uncompressed MR_small (PNG, decoded by PIL); their
/// thumbnails and the study's are JPEGs; a two-frame RLE instance renders frame by frame; WADO-RS with
/// transfer-syntax=1.2.840.10008.1.2.1 decodes them to MR_small's own Pixel Data; a damaged codestream is a 406 and an
/// icon, never a crash.
/// </summary>
[Collection(StowArchiveCollection.Name)]
public sealed class CompressedRenderingEndToEndTests(ArchiveFixture archive)
{
    private static readonly string[] LosslessCopies =
    [
        "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm", "Codecs/Data/MR_small_jpeg_lossless_sv6.dcm",
    ];

    private static readonly SemaphoreSlim StoreOnce = new(1, 1);
    private static CompressedStudy? _study;

    private sealed record CompressedStudy(string Study, DicomDataset Reference, Dictionary<string, DicomDataset> Copies, DicomDataset TwoFrame, DicomDataset Damaged);

    private string Base => $"http://127.0.0.1:{archive.HttpPort.ToString(CultureInfo.InvariantCulture)}";

    private string PathOf(string file) => file.StartsWith("Codecs/", StringComparison.Ordinal)
        ? Path.Combine(archive.RepoRoot, "tests", "Dicom.Tests", file)
        : Path.Combine(archive.RepoRoot, "tests", "Dicom.Tests", "Corpus", "test_files", file);

    /// <summary>A corpus file in its own transfer syntax with new UIDs in <paramref name="study"/> (the copies share MR_small's).</summary>
    private (byte[] Bytes, DicomDataset Dataset) Renamed(string file, string study, Action<DicomDataset>? change = null)
    {
        var source = DicomFile.Open(File.ReadAllBytes(PathOf(file)));
        var ds = source.Dataset;
        ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, study);
        ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        change?.Invoke(ds);
        return (DicomFile.Create(ds, source.TransferSyntax).ToBytes(), ds);
    }

    private async Task<CompressedStudy> StoreAsync()
    {
        await StoreOnce.WaitAsync();
        try
        {
            if (_study is { } done)
            {
                return done;
            }

            var study = DicomUidGenerator.Generate();
            var parts = new List<byte[]>();
            var reference = Renamed("MR_small.dcm", study);
            parts.Add(reference.Bytes);
            var copies = new Dictionary<string, DicomDataset>(StringComparer.Ordinal);
            foreach (var f in LosslessCopies)
            {
                var copy = Renamed(f, study);
                parts.Add(copy.Bytes);
                copies[f] = copy.Dataset;
            }

            var twoFrame = Renamed("SC_rgb_rle_2frame.dcm", study);
            parts.Add(twoFrame.Bytes);
            // JPEG 2000 whose main header (SIZ, COD...) is overwritten: stored (the archive keeps what it receives), but
            // it cannot be decoded. (OpenJPEG decodes damaged tile data to a damaged image rather than failing.)
            var damaged = Renamed("MR_small_jp2klossless.dcm", study, ds =>
            {
                ds.TryGetElement(DicomTag.PixelData, out var pixelData);
                var fragment = pixelData.Fragments!.Items[0].Data.ToArray();
                for (var i = 2; i < 200; i++)
                {
                    fragment[i] = 0xFF;
                }

                pixelData.Fragments.Items[0] = new DicomFragment(fragment);
            });
            parts.Add(damaged.Bytes);

            using var content = new MultipartContent("related", "codecs-" + Guid.NewGuid().ToString("N"));
            content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
            foreach (var p in parts)
            {
                var part = new ByteArrayContent(p);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
                content.Add(part);
            }

            using var response = await archive.Http.PostAsync($"{Base}/dicom-web/studies", content);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            _study = new CompressedStudy(study, reference.Dataset, copies, twoFrame.Dataset, damaged.Dataset);
            return _study;
        }
        finally
        {
            StoreOnce.Release();
        }
    }

    private static string InstancePath(DicomDataset ds) =>
        $"/dicom-web/studies/{ds.GetString(DicomTag.StudyInstanceUID)}/series/{ds.GetString(DicomTag.SeriesInstanceUID)}/instances/{ds.GetString(DicomTag.SOPInstanceUID)}";

    private async Task<(HttpStatusCode Status, string Type, byte[] Body, string FullType)> GetAsync(string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Base + path);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await archive.Http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", await response.Content.ReadAsByteArrayAsync(),
            response.Content.Headers.ContentType?.ToString() ?? "");
    }

    [Fact]
    public async Task Rendered_LosslessCopies_ArePixelForPixelTheUncompressedRendering()
    {
        var s = await StoreAsync();
        var expected = await GetAsync(InstancePath(s.Reference) + "/rendered", "image/png");
        Assert.Equal(HttpStatusCode.OK, expected.Status);
        var reference = await ImageDecoder.DecodeAsync(expected.Body);
        Assert.Equal(("PNG", "L", 64, 64), (reference.Format, reference.Mode, reference.Width, reference.Height));
        Assert.Contains(reference.Pixels, p => p != reference.Pixels[0]); // not a flat image

        foreach (var (file, ds) in s.Copies)
        {
            var (status, type, body, _) = await GetAsync(InstancePath(ds) + "/rendered", "image/png");
            Assert.True(status == HttpStatusCode.OK, $"{file}: {status} {System.Text.Encoding.UTF8.GetString(body)}");
            Assert.Equal("image/png", type);
            var decoded = await ImageDecoder.DecodeAsync(body);
            Assert.Equal(reference.Pixels, decoded.Pixels);

            var frame = await GetAsync(InstancePath(ds) + "/frames/1/rendered", "image/png");
            Assert.Equal(reference.Pixels, (await ImageDecoder.DecodeAsync(frame.Body)).Pixels);
        }
    }

    [Fact]
    public async Task Thumbnail_CompressedInstancesSeriesAndStudy_AreDecodedJpegs()
    {
        var s = await StoreAsync();
        var study = $"/dicom-web/studies/{s.Study}";
        foreach (var ds in s.Copies.Values.Append(s.TwoFrame))
        {
            foreach (var path in new[] { InstancePath(ds) + "/thumbnail", $"{study}/series/{ds.GetString(DicomTag.SeriesInstanceUID)}/thumbnail" })
            {
                var (status, type, body, _) = await GetAsync(path);
                Assert.True(status == HttpStatusCode.OK, path);
                Assert.Equal("image/jpeg", type);
                var decoded = await ImageDecoder.DecodeAsync(body);
                var size = ds == s.TwoFrame ? 100 : 64; // never enlarged past the image
                Assert.Equal(("JPEG", size, size), (decoded.Format, decoded.Width, decoded.Height));
            }
        }

        // The MR thumbnail is the image, not the page icon: it follows the uncompressed rendering.
        var reference = await ImageDecoder.DecodeAsync((await GetAsync(InstancePath(s.Reference) + "/rendered", "image/png")).Body);
        var thumbnail = await ImageDecoder.DecodeAsync((await GetAsync(InstancePath(s.Copies["MR_small_jp2klossless.dcm"]) + "/thumbnail")).Body);
        Assert.True(ImageDecoder.Psnr(reference.Pixels, thumbnail.Pixels) > 30);
        var whole = await GetAsync(study + "/thumbnail");
        Assert.Equal(HttpStatusCode.OK, whole.Status);
        Assert.Equal("JPEG", (await ImageDecoder.DecodeAsync(whole.Body)).Format);
    }

    [Fact]
    public async Task Rendered_TwoFrameRle_EachFrameIsItsOwnImage()
    {
        var s = await StoreAsync();
        var rgb = FrameDecodersOf(s.TwoFrame);
        for (var f = 1; f <= 2; f++)
        {
            var (status, _, body, _) = await GetAsync(InstancePath(s.TwoFrame) + $"/frames/{f}/rendered", "image/png");
            Assert.Equal(HttpStatusCode.OK, status);
            var decoded = await ImageDecoder.DecodeAsync(body);
            Assert.Equal(("RGB", 100, 100), (decoded.Mode, decoded.Width, decoded.Height));
            Assert.Equal(rgb[f - 1], decoded.Pixels);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(InstancePath(s.TwoFrame) + "/frames/3/rendered")).Status);
    }

    [Fact]
    public async Task WadoRs_ExplicitVrLittleEndianAsked_CompressedInstancesAreDecodedToTheReferencePixels()
    {
        var s = await StoreAsync();
        s.Reference.TryGetElement(DicomTag.PixelData, out var referencePixels);
        foreach (var (file, ds) in s.Copies)
        {
            var (status, _, body, fullType) = await GetAsync(InstancePath(ds), "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1");
            Assert.True(status == HttpStatusCode.OK, $"{file}: {status} {System.Text.Encoding.UTF8.GetString(body)}");
            var part = Assert.Single(await PartsAsync(fullType, body));
            var served = DicomReader.ReadFile(part);
            Assert.Equal(DicomTransferSyntax.ExplicitVRLittleEndian, served.TransferSyntax);
            Assert.True(served.Dataset.TryGetElement(DicomTag.PixelData, out var pixels));
            Assert.Equal(referencePixels.Value.ToArray(), pixels.Value.ToArray());
            Assert.Equal(ds.GetString(DicomTag.SOPInstanceUID), served.Dataset.GetString(DicomTag.SOPInstanceUID));
        }

        // Without a named syntax the stored form is sent, as before; an unknown one is 406.
        var asStored = await GetAsync(InstancePath(s.Copies["MR_small_RLE.dcm"]), "multipart/related; type=\"application/dicom\"");
        Assert.Equal(DicomTransferSyntax.RLELossless, DicomReader.ReadFile(Assert.Single(await PartsAsync(asStored.FullType, asStored.Body))).TransferSyntax);
        Assert.Equal(HttpStatusCode.NotAcceptable,
            (await GetAsync(InstancePath(s.Copies["MR_small_RLE.dcm"]), "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50")).Status);

        // WADO-URI asks the same way.
        var wado = await GetAsync($"/wado?requestType=WADO&studyUID={s.Study}&seriesUID={s.Copies["MR_small_jpeg_ls_lossless.dcm"].GetString(DicomTag.SeriesInstanceUID)}" +
                                  $"&objectUID={s.Copies["MR_small_jpeg_ls_lossless.dcm"].GetString(DicomTag.SOPInstanceUID)}&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.1");
        Assert.Equal(HttpStatusCode.OK, wado.Status);
        Assert.True(DicomReader.ReadFile(wado.Body).Dataset.TryGetElement(DicomTag.PixelData, out var wadoPixels));
        Assert.Equal(referencePixels.Value.ToArray(), wadoPixels.Value.ToArray());
    }

    [Fact]
    public async Task Rendered_DamagedCodestream_406ProblemAndIconThumbnail()
    {
        var s = await StoreAsync();
        var (status, type, _, _) = await GetAsync(InstancePath(s.Damaged) + "/rendered");
        Assert.Equal(HttpStatusCode.NotAcceptable, status);
        Assert.Equal("application/problem+json", type);
        var thumbnail = await GetAsync(InstancePath(s.Damaged) + "/thumbnail");
        Assert.Equal(HttpStatusCode.OK, thumbnail.Status);
        Assert.Equal("JPEG", (await ImageDecoder.DecodeAsync(thumbnail.Body)).Format);
        // The gateway is still answering.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(InstancePath(s.Reference) + "/rendered")).Status);
    }

    /// <summary>The two RGB frames of SC_rgb_rle_2frame.dcm, decoded here from the RLE segments without the archive's code.</summary>
    private static List<byte[]> FrameDecodersOf(DicomDataset ds)
    {
        ds.TryGetElement(DicomTag.PixelData, out var pixelData);
        var frames = new List<byte[]>();
        foreach (var fragment in pixelData.Fragments!.Items)
        {
            var data = fragment.Data.Span;
            const int pixels = 100 * 100;
            var rgb = new byte[pixels * 3];
            for (var s = 0; s < 3; s++)
            {
                var start = BitConverter.ToInt32(data[(4 + s * 4)..]);
                var end = s < 2 ? BitConverter.ToInt32(data[(8 + s * 4)..]) : data.Length;
                var seg = data[start..end];
                var written = 0;
                for (var i = 0; i < seg.Length && written < pixels;)
                {
                    var n = (sbyte)seg[i++];
                    if (n >= 0)
                    {
                        for (var k = 0; k <= n; k++)
                        {
                            rgb[(written++) * 3 + s] = seg[i++];
                        }
                    }
                    else if (n != -128)
                    {
                        var v = seg[i++];
                        for (var k = 0; k < 1 - n; k++)
                        {
                            rgb[(written++) * 3 + s] = v;
                        }
                    }
                }
            }

            frames.Add(rgb);
        }

        return frames;
    }

    private static async Task<List<byte[]>> PartsAsync(string contentType, byte[] body)
    {
        var type = MediaTypeHeaderValue.Parse(contentType);
        Assert.Equal("multipart/related", type.MediaType);
        var boundary = type.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new MultipartReader(boundary, new MemoryStream(body)) { BodyLengthLimit = null };
        var parts = new List<byte[]>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var copy = new MemoryStream();
            await section.Body.CopyToAsync(copy);
            parts.Add(copy.ToArray());
        }

        return parts;
    }
}
