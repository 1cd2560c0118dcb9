using System.Globalization;
using Pacs.Dicom.IO;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>
/// C-GET and C-MOVE of compressed instances to a peer that accepted uncompressed transfer syntaxes only (issue 17 §2):
/// the sub-operation decodes (PS3.4 C.4.2.3.1 / C.4.3.3.1) and the received pixel data equals the uncompressed
/// reference (MR_small.dcm: the corpus' lossless copies are of it); what cannot be decoded fails alone.
/// </summary>
public sealed class RetrieveDecodingTests
{
    private static string P(DicomServer s) => s.Port.ToString(CultureInfo.InvariantCulture);

    private static byte[] ReferencePixels() => PixelsOf(File.ReadAllBytes(CorpusFile("MR_small.dcm")));

    private static byte[] PixelsOf(byte[] file)
    {
        Assert.True(DicomFile.Open(file).Dataset.TryGetElement(DicomTag.PixelData, out var e));
        return e.Value.ToArray();
    }

    [Theory]
    [InlineData("MR_small_jpeg_ls_lossless.dcm")]
    [InlineData("MR_small_jp2klossless.dcm")]
    [InlineData("MR_small_RLE.dcm")]
    public async Task GetScu_CompressedInstance_UncompressedOnlyPeer_ReceivesDecodedPixels(string file)
    {
        var instance = await InstanceFromFileAsync(CorpusFile(file));
        Assert.False(instance.TransferSyntax.IsNative);
        var retrieve = new FixedRetrieveProvider([instance], new Dictionary<string, DicomPeer>());
        await using var server = StartServer(new DicomServiceProviders { Get = retrieve });
        var dir = TempDir();
        try
        {
            // +xi: getscu accepts Implicit VR Little Endian only for the instances it receives.
            var r = await RunAsync("getscu", ["-S", "-v", "+xi", "-od", dir, "-aec", "ARCHIVE", "127.0.0.1", P(server), "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.3"]);
            Assert.True(r.ExitCode == 0, r.Output);
            var received = Assert.Single(Directory.GetFiles(dir));
            var bytes = await File.ReadAllBytesAsync(received);
            var dump = await RunAsync("dcmdump", ["-M", received]);
            // getscu writes what it received in an uncompressed little-endian file (its own choice of VR encoding).
            Assert.Matches("LittleEndian(Implicit|Explicit)", dump.Output);
            Assert.Equal(ReferencePixels(), PixelsOf(bytes));
            Assert.Equal("MONOCHROME2", DicomFile.Open(bytes).Dataset.GetString(DicomTag.PhotometricInterpretation)?.Trim());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("MR_small_jpeg_ls_lossless.dcm")]
    [InlineData("MR_small_jp2klossless.dcm")]
    public async Task MoveScu_CompressedInstance_ToUncompressedStoreScp_ArrivesDecoded(string file)
    {
        // +xe: storescp prefers Explicit VR Little Endian and, as by default, accepts uncompressed syntaxes only.
        using var storescp = new StoreScp("DEST", "+xe");
        var instance = await InstanceFromFileAsync(CorpusFile(file));
        var retrieve = new FixedRetrieveProvider([instance], new Dictionary<string, DicomPeer> { ["DEST"] = new("DEST", "127.0.0.1", storescp.Port) });
        await using var server = StartServer(new DicomServiceProviders { Move = retrieve });

        var r = await RunAsync("movescu", ["-S", "-v", "-aec", "ARCHIVE", "-aem", "DEST", "127.0.0.1", P(server), "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.3"]);

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.True(r.Output.Contains("Final Move Response (Success)", StringComparison.Ordinal), r.Output);
        var received = Assert.Single(storescp.Files());
        var dump = await RunAsync("dcmdump", ["-M", received]);
        Assert.Contains("LittleEndianExplicit", dump.Output);
        Assert.Equal(ReferencePixels(), PixelsOf(await File.ReadAllBytesAsync(received)));
    }

    [Fact]
    public async Task Get_DamagedCodestream_ThatSubOperationFailsWithProcessingFailure_OthersArrive()
    {
        var good = await InstanceFromFileAsync(CorpusFile("MR_small_jpeg_ls_lossless.dcm"));
        var damaged = await DamagedAsync(good);
        var retrieve = new FixedRetrieveProvider([damaged, good], new Dictionary<string, DicomPeer>());
        await using var server = StartServer(new DicomServiceProviders { Get = retrieve });
        var store = new CollectingStoreProvider();
        await using var client = await DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = server.Port,
            CalledAeTitle = "ARCHIVE",
            PresentationContexts =
            [
                new PresentationContextRequest(StudyRootGet, DicomClientOptions.NativeTransferSyntaxes),
                new PresentationContextRequest(MRImageStorage, DicomClientOptions.NativeTransferSyntaxes, ProposeScpRole: true),
            ],
            StoreProvider = store,
        });
        var identifier = new DicomDataset();
        identifier.SetString(DicomTag.QueryRetrieveLevel, DicomVR.CS, "STUDY");
        identifier.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3");

        var final = await client.GetAsync(StudyRootGet, identifier);
        await client.ReleaseAsync();

        // PS3.4 C.4.3.1.4: some sub-operations failed, some completed: B000, the failed one listed.
        Assert.Equal((ushort)0xB000, final.Status.Code);
        Assert.Equal(new[] { damaged.SopInstanceUid }, final.FailedSopInstanceUids);
        var arrived = Assert.Single(store.Instances);
        Assert.Equal(good.SopInstanceUid, arrived.Request.AffectedSopInstanceUid);
        Assert.True(arrived.TransferSyntax.IsNative);
    }

    /// <summary>The instance with its codestream cut to its first 64 bytes, under another SOP Instance UID.</summary>
    private static async Task<InstanceToSend> DamagedAsync(InstanceToSend source)
    {
        byte[] bytes;
        await using (var s = await source.OpenDataSetAsync(CancellationToken.None))
        {
            var dataset = (await DicomReader.ReadDatasetAsync(s, source.TransferSyntax)).Dataset;
            Assert.True(dataset.TryGetElement(DicomTag.PixelData, out var pixel));
            var fragments = pixel.Fragments!;
            var cut = new DicomFragments(ReadOnlyMemory<byte>.Empty, [new DicomFragment(fragments.Items[0].Data[..64])]);
            dataset.Set(new DicomElement(DicomTag.PixelData, pixel.VR, cut));
            dataset.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, "1.2.826.0.1.3680043.10.997.1");
            bytes = DicomWriter.ToBytes(dataset, source.TransferSyntax);
        }
        return new InstanceToSend(source.SopClassUid, "1.2.826.0.1.3680043.10.997.1", source.TransferSyntax,
            _ => ValueTask.FromResult<Stream>(new MemoryStream(bytes, writable: false)));
    }
}
