using System.IO.Pipelines;
using Pacs.Dicom.IO;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>
/// How a C-STORE's data set leaves the SCU (C-MOVE and C-GET sub-operations, DicomClient.StoreAsync): in PDUs of the
/// peer's maximum length (PS3.8 9.3.1, D.1), several to a send when the peer's maximum is small (dcmtk's and Orthanc's
/// 16 KiB), the last fragment flagged only on the last PDU (PS3.8 E.2). The client runs on in-memory pipes whose
/// output counts flushes (each is a send on a socket transport) and whose PDUs are recorded on the way.
/// </summary>
public sealed class StoreSendTests
{
    [Theory]
    [InlineData(16_384u, 525_000)] // a CT instance to a 16 KiB peer
    [InlineData(16_384u, 4 * 16_378 - 200)] // about one send's worth of full PDUs
    [InlineData(4_096u, 10_000)] // a small peer maximum: 16 PDUs per send
    [InlineData(131_072u, 525_000)] // a peer maximum above the flush size: one PDU per send, as large as allowed
    public async Task Store_ToPeerMaximum_PdusFullAndSeveralPerSend(uint peerMaxPdu, int pixelBytes)
    {
        var bytes = DataSet(pixelBytes);
        var received = new CollectingStoreProvider();
        await using var link = await StartAsync(received, peerMaxPdu);

        var flushesBefore = link.Output.Flushes;
        var pdusBefore = link.Tap.PDataPdus.Count;
        var status = await link.Client.StoreAsync(new InstanceToSend(CTImageStorage, "1.2.826.0.1.3680043.10.998.7", DicomTransferSyntax.ExplicitVRLittleEndian,
            _ => ValueTask.FromResult<Stream>(new MemoryStream(bytes, writable: false))));
        var flushes = link.Output.Flushes - flushesBefore;

        Assert.Equal(DimseStatus.Success, status);
        Assert.Equal(bytes, Assert.Single(received.Instances).Bytes);
        var controls = link.Tap.PDataPdus.Skip(pdusBefore).ToList();
        var lengths = link.Tap.PDataLengths.Skip(pdusBefore).ToList();
        var maxPdv = (int)peerMaxPdu - 6;
        var dataPdus = (bytes.Length + maxPdv - 1) / maxPdv;
        // The command (03h: command, last), then the data set's fragments (00h), the last one 02h.
        Assert.Equal(1 + dataPdus, controls.Count);
        Assert.Equal(new byte[] { 0x03 }, controls[0]);
        Assert.All(controls.Skip(1).SkipLast(1), c => Assert.Equal(new byte[] { 0x00 }, c));
        Assert.Equal(new byte[] { 0x02 }, controls[^1]);
        Assert.All(lengths, length => Assert.True(length <= peerMaxPdu, $"a PDU of {length} bytes"));
        Assert.All(lengths.Skip(1).SkipLast(1), length => Assert.Equal(peerMaxPdu, length));
        // About 64 KiB a send (DicomAssociation.FlushThreshold): as many whole PDUs as fit, at least one.
        var perSend = Math.Max(1, 64 * 1024 / maxPdv);
        Assert.Equal((dataPdus + perSend - 1) / perSend, flushes);
    }

    private static byte[] DataSet(int pixelBytes)
    {
        var ds = new DicomDataset();
        ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, CTImageStorage);
        ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, "1.2.826.0.1.3680043.10.998.7");
        var pixels = new byte[pixelBytes];
        new Random(7).NextBytes(pixels);
        ds.Set(DicomTag.PixelData, DicomVR.OB, pixels);
        return DicomWriter.ToBytes(ds, DicomTransferSyntax.ExplicitVRLittleEndian);
    }

    /// <summary>A client whose PDUs to the acceptor go through a <see cref="PduTap"/>, its output counting flushes.</summary>
    private static Task<TappedLink> StartAsync(ICStoreProvider provider, uint acceptorMaxPdu) =>
        TappedLink.StartAsync(TappedLink.Side.Client, new DicomServiceProviders { Store = provider },
            new PresentationContextRequest(CTImageStorage, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid]), acceptorMaxPdu: acceptorMaxPdu);
}
