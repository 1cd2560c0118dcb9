using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Pacs.Dicom;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// The gateway's DICOM port under abuse from two addresses at once: one holds every association its address may
/// have, another floods half-open connections; a third client (dcmtk, from 127.0.0.1) must still be served at once.
/// </summary>
[Collection(ArchiveCollection.Name)]
public sealed class AssociationFloodEndToEndTests(ArchiveFixture archive)
{
    /// <summary>Pacs:Dimse:MaxAssociationsPerAddress's default, which the fixture leaves as is.</summary>
    private const int PerAddressQuota = 32;
    private const int HalfOpenConnections = 1000;

    [Fact]
    public async Task EchoAndStore_WhileOneAddressHoldsItsQuotaAndAnotherFloodsHalfOpenConnections_SucceedWithinOneSecond()
    {
        var held = new List<DicomClient>();
        var flood = new List<Socket>();
        var port = archive.DicomPort.ToString(CultureInfo.InvariantCulture);
        // The same echo on a quiet port first: what the machine itself needs for it (the message shows both).
        var baseline = await TimedAsync("echoscu", ["-aec", ArchiveFixture.AeTitle, "127.0.0.1", port]);
        try
        {
            for (var i = 0; i < PerAddressQuota; i++)
            {
                held.Add(await ConnectFromAsync("127.0.0.2"));
            }

            var refused = await Assert.ThrowsAsync<DicomAssociationRejectedException>(async () => await (await ConnectFromAsync("127.0.0.2")).DisposeAsync());
            Assert.Equal(AssociationLimiter.LocalLimitExceeded, refused.Reject);

            // 1,000 connections that send 3 bytes of a PDU header and then nothing, opened 50 at a time.
            var flooding = Stopwatch.StartNew();
            for (var batch = 0; batch < HalfOpenConnections / 50; batch++)
            {
                flood.AddRange(await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => HalfOpenAsync("127.0.0.3"))));
            }

            var floodTime = flooding.Elapsed;

            var echo = await TimedAsync("echoscu", ["-v", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port]);
            Assert.Contains("Received Echo Response (Success)", echo.Output, StringComparison.Ordinal);
            // A corpus file the other tests store as well: the same bytes again are a success whatever ran first.
            var file = Path.Combine(archive.RepoRoot, "tests", "Dicom.Tests", "Corpus", "test_files", "CT_small.dcm");
            var store = await TimedAsync("storescu", ["-v", "-nh", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", port, file]);
            Assert.Contains("Received Store Response (Success)", store.Output, StringComparison.Ordinal);

            Assert.True(echo.Elapsed < TimeSpan.FromSeconds(1), $"echoscu took {echo.Elapsed.TotalMilliseconds:F0} ms (quiet port: {baseline.Elapsed.TotalMilliseconds:F0} ms; the flood took {floodTime.TotalMilliseconds:F0} ms):\n{echo.Output}");
            Assert.True(store.Elapsed < TimeSpan.FromSeconds(1), $"storescu took {store.Elapsed.TotalMilliseconds:F0} ms:\n{store.Output}");
            // The holder's associations were not disturbed by any of it.
            Assert.Equal(DimseStatus.Success, await held[0].EchoAsync());
        }
        finally
        {
            foreach (var s in flood)
            {
                s.Dispose();
            }

            foreach (var c in held)
            {
                try { await c.ReleaseAsync(); } catch (DicomAssociationAbortedException) { }
                await c.DisposeAsync();
            }
        }
    }

    private async Task<DicomClient> ConnectFromAsync(string localAddress)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
        await socket.ConnectAsync(IPAddress.Loopback, archive.DicomPort);
        return await DicomClient.ConnectAsync(SocketTransport.Create(socket), socket.RemoteEndPoint, new DicomClientOptions
        {
            CalledAeTitle = ArchiveFixture.AeTitle,
            CallingAeTitle = "HOLDER",
            PresentationContexts = [new PresentationContextRequest(CEchoRequest.VerificationSopClassUid, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid])],
        });
    }

    private async Task<Socket> HalfOpenAsync(string localAddress)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
        await socket.ConnectAsync(IPAddress.Loopback, archive.DicomPort);
        try { await socket.SendAsync(new byte[] { 1, 0, 0 }, SocketFlags.None); }
        catch (SocketException) { } // already closed by the gateway: that is one of the outcomes under test
        return socket;
    }

    private static async Task<(TimeSpan Elapsed, string Output)> TimedAsync(string tool, string[] args)
    {
        var clock = Stopwatch.StartNew();
        var (code, output) = await ChildProcess.RunAsync(tool, args, 30);
        var elapsed = clock.Elapsed;
        Assert.True(code == 0, output);
        return (elapsed, output);
    }
}
