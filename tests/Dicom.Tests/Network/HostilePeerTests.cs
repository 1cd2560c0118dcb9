using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>Peers that misbehave: the server must abort or refuse, close, and stay healthy.</summary>
public sealed class HostilePeerTests
{
    private static DicomServer Server(DicomServiceProviders? providers = null, int maxAssociations = 64) =>
        StartServer(providers ?? new DicomServiceProviders { Echo = DicomServiceProviders.AlwaysSuccessEcho, Store = new CollectingStoreProvider() }, o => o with
        {
            MaxAssociations = maxAssociations,
            Association = new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(1), DimseTimeout = TimeSpan.FromSeconds(1), IdleTimeout = TimeSpan.FromSeconds(2) },
        });

    private static async Task<Socket> ConnectRawAsync(int port)
    {
        var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(IPAddress.Loopback, port);
        return s;
    }

    /// <summary>Everything the server sends until it closes, within <paramref name="seconds"/>; fails if it stays open.</summary>
    private static async Task<byte[]> ReadUntilClosedAsync(Socket s, int seconds)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var all = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return all.ToArray();
                }

                all.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"server did not close within {seconds}s");
            throw;
        }
        catch (SocketException)
        {
            return all.ToArray(); // reset by the server: closed as well
        }
    }

    private static byte[] RequestBytes(params string[] abstractSyntaxes)
    {
        var rq = new AssociateRequestPdu("ARCHIVE", "HOSTILE",
            abstractSyntaxes.Select((a, i) => new PresentationContextProposal((byte)(2 * i + 1), a, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid])).ToList(),
            new UserInformation { MaximumLength = 16384, ImplementationClassUid = "1.2.3" });
        return SequenceSplitter.Write(rq.Write);
    }

    private static async Task AssociateAsync(Socket s, params string[] abstractSyntaxes)
    {
        await s.SendAsync(RequestBytes(abstractSyntaxes), SocketFlags.None);
        var header = new byte[6];
        await ReceiveExactlyAsync(s, header);
        Assert.Equal((byte)PduType.AssociateAccept, header[0]);
        var body = new byte[(header[2] << 24) | (header[3] << 16) | (header[4] << 8) | header[5]];
        await ReceiveExactlyAsync(s, body);
    }

    private static async Task ReceiveExactlyAsync(Socket s, byte[] buffer)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await s.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cts.Token);
            Assert.NotEqual(0, n);
            read += n;
        }
    }

    private static async Task AssertServerHealthyAsync(DicomServer server)
    {
        await using var client = await DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = server.Port,
            CalledAeTitle = "ARCHIVE",
            PresentationContexts = [new PresentationContextRequest(CEchoRequest.VerificationSopClassUid, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid])],
        });
        Assert.Equal(DimseStatus.Success, await client.EchoAsync());
        await client.ReleaseAsync();
    }

    [Fact]
    public async Task MalformedAssociateRequest_IsAbortedAndClosed()
    {
        await using var server = Server();
        using var s = await ConnectRawAsync(server.Port);
        var bytes = RequestBytes(CEchoRequest.VerificationSopClassUid);
        bytes[6 + 68 + 2] = 0xFF; // application context item length far past the PDU
        bytes[6 + 68 + 3] = 0xFF;
        await s.SendAsync(bytes, SocketFlags.None);
        var reply = await ReadUntilClosedAsync(s, 5);
        Assert.Equal(10, reply.Length);
        Assert.Equal((byte)PduType.Abort, reply[0]);
        Assert.Equal((byte)AbortSource.ServiceProvider, reply[8]);
        await AssertServerHealthyAsync(server);
    }

    [Fact]
    public async Task UnknownPduType_IsAbortedAndClosed()
    {
        await using var server = Server();
        using var s = await ConnectRawAsync(server.Port);
        await s.SendAsync(new byte[] { 0x42, 0, 0, 0, 0, 4, 1, 2, 3, 4 }, SocketFlags.None);
        var reply = await ReadUntilClosedAsync(s, 5);
        Assert.Equal((byte)PduType.Abort, Assert.Single(reply.Take(1)));
    }

    [Fact]
    public async Task PduLengthBeyondLimit_IsRefusedBeforeTheBodyArrives()
    {
        await using var server = Server();
        using var s = await ConnectRawAsync(server.Port);
        // An A-ASSOCIATE-RQ header announcing 4 GiB - 1: refused on the header alone, long before any ARTIM.
        await s.SendAsync(new byte[] { 1, 0, 0xFF, 0xFF, 0xFF, 0xFF }, SocketFlags.None);
        var started = DateTime.UtcNow;
        var reply = await ReadUntilClosedAsync(s, 5);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(0.9), "waited for the body instead of refusing the header");
        Assert.Equal((byte)PduType.Abort, reply[0]);
    }

    [Fact]
    public async Task PDataLengthBeyondLimit_AfterAssociation_IsAborted()
    {
        await using var server = Server();
        using var s = await ConnectRawAsync(server.Port);
        await AssociateAsync(s, CEchoRequest.VerificationSopClassUid);
        await s.SendAsync(new byte[] { 4, 0, 0x7F, 0xFF, 0xFF, 0xFF }, SocketFlags.None); // 2 GiB P-DATA-TF
        var reply = await ReadUntilClosedAsync(s, 5);
        Assert.Equal((byte)PduType.Abort, reply[0]);
    }

    [Fact]
    public async Task StallDuringNegotiation_ArtimClosesConnection()
    {
        await using var server = Server();
        using var s = await ConnectRawAsync(server.Port);
        await s.SendAsync(RequestBytes(CEchoRequest.VerificationSopClassUid).AsMemory(0, 20), SocketFlags.None);
        var started = DateTime.UtcNow;
        await ReadUntilClosedAsync(s, 5);
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0.5, 4);
        await AssertServerHealthyAsync(server);
    }

    [Fact]
    public async Task StallMidPData_DimseTimeoutAbortsAssociation()
    {
        await using var server = Server();
        using var s = await ConnectRawAsync(server.Port);
        await AssociateAsync(s, CEchoRequest.VerificationSopClassUid);
        // Half of a P-DATA-TF, then silence.
        await s.SendAsync(new byte[] { 4, 0, 0, 0, 0, 100, 0, 0, 0, 96, 1, 3 }, SocketFlags.None);
        var started = DateTime.UtcNow;
        var reply = await ReadUntilClosedAsync(s, 5);
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0.5, 4);
        Assert.Equal((byte)PduType.Abort, reply[0]);
        await DicomClientTests.WaitUntil(() => server.ActiveAssociations == 0);
    }

    [Fact]
    public async Task IdlePeer_IsAbortedAfterIdleTimeout()
    {
        await using var server = Server();
        using var s = await ConnectRawAsync(server.Port);
        await AssociateAsync(s, CEchoRequest.VerificationSopClassUid);
        var reply = await ReadUntilClosedAsync(s, 6);
        Assert.Equal((byte)PduType.Abort, reply[0]);
    }

    [Fact]
    public async Task QuietPeriodAfterFind_LongerThanDimseTimeout_AssociationSurvives()
    {
        // DIMSE timeout 1 s, idle timeout 2 s: after a finished C-FIND the idle timeout applies, not the DIMSE one.
        var find = new FixedFindProvider([FixedFindProvider.Study("A", "1.1")]);
        await using var server = Server(new DicomServiceProviders { Echo = DicomServiceProviders.AlwaysSuccessEcho, Find = find });
        await using var client = await DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = server.Port,
            CalledAeTitle = "ARCHIVE",
            PresentationContexts =
            [
                new PresentationContextRequest(CEchoRequest.VerificationSopClassUid, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid]),
                new PresentationContextRequest(StudyRootFind, DicomClientOptions.NativeTransferSyntaxes),
            ],
        });
        var n = 0;
        await foreach (var _ in client.FindAsync(StudyRootFind, new DicomDataset()))
        {
            n++;
        }

        Assert.Equal(1, n);
        await Task.Delay(1500);
        Assert.Equal(DimseStatus.Success, await client.EchoAsync());
        await client.ReleaseAsync();
    }

    [Fact]
    public async Task AbortMidInstance_ProviderStreamThrowsAndNoSuccess()
    {
        var store = new CollectingStoreProvider();
        await using var server = Server(new DicomServiceProviders { Store = store });
        using var s = await ConnectRawAsync(server.Port);
        await AssociateAsync(s, CTImageStorage);
        var command = DimseCommandCodec.Encode(((IDimseMessage)new CStoreRequest(1, CTImageStorage, "1.2.3.4")).ToCommand());
        var w = new ArrayBufferWriter<byte>();
        PDataTfPdu.WriteSingle(w, 1, command: true, last: true, command);
        PDataTfPdu.WriteSingle(w, 1, command: false, last: false, new byte[8000]);
        new AbortPdu(AbortSource.ServiceUser, AbortReason.NotSpecified).Write(w);
        await s.SendAsync(w.WrittenMemory, SocketFlags.None);
        await ReadUntilClosedAsync(s, 5);
        await DicomClientTests.WaitUntil(() => !store.Failures.IsEmpty);
        var failure = Assert.Single(store.Failures);
        Assert.True(failure is IOException or OperationCanceledException, failure.ToString());
        Assert.Empty(store.Instances);
    }

    [Fact]
    public async Task DataWithoutCommand_IsAborted()
    {
        await using var server = Server();
        using var s = await ConnectRawAsync(server.Port);
        await AssociateAsync(s, CEchoRequest.VerificationSopClassUid);
        var w = new ArrayBufferWriter<byte>();
        PDataTfPdu.WriteSingle(w, 1, command: false, last: true, new byte[10]);
        await s.SendAsync(w.WrittenMemory, SocketFlags.None);
        var reply = await ReadUntilClosedAsync(s, 5);
        Assert.Equal((byte)PduType.Abort, reply[0]);
    }

    [Fact]
    public async Task AssociationFlood_BeyondBound_RejectedTransientThenServerRecovers()
    {
        await using var server = Server(maxAssociations: 2);
        var options = new DicomClientOptions
        {
            Port = server.Port,
            CalledAeTitle = "ARCHIVE",
            PresentationContexts = [new PresentationContextRequest(CEchoRequest.VerificationSopClassUid, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid])],
            Association = new DicomAssociationOptions { IdleTimeout = TimeSpan.FromSeconds(30) },
        };
        var held = new[] { await DicomClient.ConnectAsync(options), await DicomClient.ConnectAsync(options) };
        var flood = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            try
            {
                await using var c = await DicomClient.ConnectAsync(options);
                return (AssociateRejectPdu?)null;
            }
            catch (DicomAssociationRejectedException ex)
            {
                return ex.Reject;
            }
        }));
        Assert.All(flood, r =>
        {
            Assert.NotNull(r);
            Assert.Equal(AssociateRejectResult.Transient, r.Value.Result);
            Assert.Equal(AssociateRejectSource.ServiceProviderPresentation, r.Value.Source);
            Assert.Equal(AssociateRejectReason.LocalLimitExceeded, r.Value.Reason);
        });
        // The held associations still work, and once released, new ones are accepted.
        Assert.Equal(DimseStatus.Success, await held[0].EchoAsync());
        foreach (var c in held)
        {
            await c.ReleaseAsync();
            await c.DisposeAsync();
        }
        await DicomClientTests.WaitUntil(() => server.ActiveAssociations == 0);
        await AssertServerHealthyAsync(server);
    }

    [Fact]
    public async Task EchoScu_BeyondBound_IsRefusedByDcmtkToo()
    {
        await using var server = Server(maxAssociations: 1);
        await using var held = await DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = server.Port,
            CalledAeTitle = "ARCHIVE",
            PresentationContexts = [new PresentationContextRequest(CEchoRequest.VerificationSopClassUid, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid])],
        });
        var r = await RunAsync("echoscu", ["-aec", "ARCHIVE", "127.0.0.1", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("Local Limit Exceeded", r.Output, StringComparison.OrdinalIgnoreCase);
        await held.ReleaseAsync();
    }
}
