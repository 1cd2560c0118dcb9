using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Pacs.Dicom;
using Pacs.Dicom.Json;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Issue 13, data integrity at ingest, through a running archive: truncated or inconsistent data sets sent by
/// storescu, by our own SCU (lengths dcmtk would not send) and by STOW-RS are refused with a clear status, and
/// nothing of them reaches the index or the blob store.
/// </summary>
[Collection(StowArchiveCollection.Name)]
public sealed class IngestIntegrityEndToEndTests(ArchiveFixture archive)
{
    private const string SecondaryCapture = "1.2.840.10008.5.1.4.1.1.7";

    private string Base => $"http://127.0.0.1:{archive.HttpPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A 64 x 64 8-bit instance with fresh UIDs; <paramref name="pixelBytes"/> of its 4096 pixel bytes kept.</summary>
    private static (byte[] File, DicomDataset Dataset) NewInstance(int pixelBytes = 4096)
    {
        var ds = new DicomDataset();
        ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, SecondaryCapture);
        ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.Modality, DicomVR.CS, "OT");
        ds.SetString(DicomTag.PatientID, DicomVR.LO, "INTEGRITY-E2E");
        ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetUInt16(DicomTag.SamplesPerPixel, DicomVR.US, 1);
        ds.SetString(DicomTag.PhotometricInterpretation, DicomVR.CS, "MONOCHROME2");
        ds.SetUInt16(DicomTag.Rows, DicomVR.US, 64);
        ds.SetUInt16(DicomTag.Columns, DicomVR.US, 64);
        ds.SetUInt16(DicomTag.BitsAllocated, DicomVR.US, 8);
        ds.SetUInt16(DicomTag.BitsStored, DicomVR.US, 8);
        ds.SetUInt16(DicomTag.HighBit, DicomVR.US, 7);
        ds.SetUInt16(DicomTag.PixelRepresentation, DicomVR.US, 0);
        ds.Set(DicomTag.PixelData, DicomVR.OB, Enumerable.Range(0, pixelBytes).Select(i => (byte)i).ToArray());
        return (DicomFile.Create(ds, DicomTransferSyntax.ExplicitVRLittleEndian).ToBytes(), ds);
    }

    private async Task<(HttpStatusCode Status, DicomDataset Response)> StowAsync(byte[] part)
    {
        var content = new MultipartContent("related", "stow-" + Guid.NewGuid().ToString("N"));
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        var body = new ByteArrayContent(part);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
        content.Add(body);
        using var response = await archive.Http.PostAsync($"{Base}/dicom-web/studies", content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var parsed = response.Content.Headers.ContentType?.MediaType == "application/dicom+json" ? DicomJsonReader.Read(bytes) : new DicomDataset();
        return (response.StatusCode, parsed);
    }

    private async Task AssertNothingOfStudyAsync(DicomDataset dataset)
    {
        var study = dataset.GetString(DicomTag.StudyInstanceUID)!;
        using var qido = await archive.Http.GetAsync($"{Base}/dicom-web/studies?StudyInstanceUID={study}");
        var json = await qido.Content.ReadAsStringAsync();
        Assert.True(qido.StatusCode == HttpStatusCode.NoContent || json.Trim() is "" or "[]", $"the refused study is indexed: {json}");
        Assert.False(Directory.Exists(Path.Combine(archive.StorageRoot, study)), "the refused instance left a folder in the blob store");
    }

    private static ushort FailureReason(DicomDataset response) =>
        Assert.Single(response.GetSequence(DicomTag.FailedSOPSequence)!.Items).GetUInt16(DicomTag.FailureReason)!.Value;

    [Fact]
    public async Task Stow_Part10FileCutInHalf_FailureReasonC000AndNothingStored()
    {
        var (file, ds) = NewInstance();

        var (status, response) = await StowAsync(file[..(file.Length - 2048)]);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(0xC000, FailureReason(response));
        await AssertNothingOfStudyAsync(ds);
    }

    [Fact]
    public async Task Stow_PixelDataShorterThanTheImage_FailureReasonA900AndNothingStored()
    {
        var (file, ds) = NewInstance(pixelBytes: 1024);

        var (status, response) = await StowAsync(file);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(0xA900, FailureReason(response));
        await AssertNothingOfStudyAsync(ds);
    }

    [Fact]
    public async Task Storescu_PixelDataShorterThanTheImage_A900AndNothingStored()
    {
        var (file, ds) = NewInstance(pixelBytes: 1024);
        var path = Path.Combine(archive.WorkDirectory, $"short-{Guid.NewGuid():N}.dcm");
        await File.WriteAllBytesAsync(path, file);

        var (_, log) = await ChildProcess.RunAsync("storescu", ["-v", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", archive.DicomPort.ToString(CultureInfo.InvariantCulture), path], 120);

        // dcmtk names A900 "Error: DataSetDoesNotMatchSOPClass" (3.6.7+) or "Error: Data Set does not match SOP Class".
        Assert.True(log.Contains("(Error: DataSetDoesNotMatchSOPClass)", StringComparison.Ordinal)
            || log.Contains("(Error: Data Set does not match SOP Class)", StringComparison.Ordinal), log);
        await AssertNothingOfStudyAsync(ds);
    }

    [Fact]
    public async Task CStore_PixelDataDeclaresFarMoreThanSent_C000WithCommentAndNothingStored()
    {
        // The probe's C-STORE: Pixel Data declaring 0xFFFFFFF0 bytes that carries 32 KiB (dcmtk cannot be made to
        // send it, so our own SCU does; it streams whatever bytes it is given).
        var (file, ds) = NewInstance();
        var parsed = Pacs.Dicom.IO.DicomReader.ReadFile(file, Pacs.Dicom.IO.DicomReadOptions.HeaderOnly);
        var pixelTag = (int)(parsed.EndOffset - parsed.DatasetOffset);
        var dataSet = file.AsSpan((int)parsed.DatasetOffset, pixelTag + 12).ToArray().Concat(new byte[32 * 1024]).ToArray();
        BitConverter.GetBytes(0xFFFFFFF0u).CopyTo(dataSet, pixelTag + 8);
        var sop = ds.GetString(DicomTag.SOPInstanceUID)!;
        await using var client = await DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = archive.DicomPort,
            CalledAeTitle = ArchiveFixture.AeTitle,
            CallingAeTitle = "INTEGRITY",
            PresentationContexts = [new PresentationContextRequest(SecondaryCapture, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid])],
            Association = new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(10), DimseTimeout = TimeSpan.FromSeconds(40) },
        });

        var status = await client.StoreAsync(new InstanceToSend(SecondaryCapture, sop, DicomTransferSyntax.ExplicitVRLittleEndian,
            _ => ValueTask.FromResult<Stream>(new MemoryStream(dataSet))));

        Assert.Equal(0xC000, status.Code);
        Assert.Contains("Truncated", status.ErrorComment ?? "", StringComparison.Ordinal);
        await client.ReleaseAsync();
        await AssertNothingOfStudyAsync(ds);
    }
}
