using System.Net;
using System.Net.Sockets;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>
/// The acceptor's quotas per address and per calling AE title, and its timers for connections that have not
/// negotiated or associations that have not been used: one peer cannot hold every slot.
/// </summary>
public sealed class AssociationQuotaTests
{
    private static DicomServer Server(int perAddress = 64, int perCallingAe = 64, TimeSpan? firstRequest = null) =>
        StartServer(new DicomServiceProviders { Echo = DicomServiceProviders.AlwaysSuccessEcho }, o => o with
        {
            // Bound to every loopback address so that 127.0.0.2, 127.0.0.3 can each be a client of their own.
            Address = IPAddress.Any,
            MaxAssociations = 64,
            MaxAssociationsPerAddress = perAddress,
            MaxAssociationsPerCallingAe = perCallingAe,
            Association = new DicomAssociationOptions
            {
                ArtimTimeout = TimeSpan.FromSeconds(1),
                DimseTimeout = TimeSpan.FromSeconds(5),
                IdleTimeout = TimeSpan.FromSeconds(30),
                FirstRequestTimeout = firstRequest ?? TimeSpan.FromSeconds(30),
            },
        });

    /// <summary>An echo association from the given loopback address (the socket is bound to it before connecting).</summary>
    private static async Task<DicomClient> ConnectFromAsync(string localAddress, int port, string callingAe = "QUOTA")
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return await DicomClient.ConnectAsync(SocketTransport.Create(socket), socket.RemoteEndPoint, new DicomClientOptions
        {
            CalledAeTitle = "ARCHIVE",
            CallingAeTitle = callingAe,
            PresentationContexts = [new PresentationContextRequest(CEchoRequest.VerificationSopClassUid, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid])],
            Association = new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(5) },
        });
    }

    private static async Task<AssociateRejectPdu> AssertRejectedAsync(Func<Task<DicomClient>> connect)
    {
        var ex = await Assert.ThrowsAsync<DicomAssociationRejectedException>(async () => await (await connect()).DisposeAsync());
        Assert.Equal(AssociationLimiter.LocalLimitExceeded, ex.Reject);
        return ex.Reject;
    }

    [Fact]
    public async Task PerAddressQuota_HeldByOneAddress_OtherAddressStillAssociates()
    {
        await using var server = Server(perAddress: 3);
        var held = new List<DicomClient>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await ConnectFromAsync("127.0.0.2", server.Port));
        }

        await AssertRejectedAsync(() => ConnectFromAsync("127.0.0.2", server.Port));
        await using (var other = await ConnectFromAsync("127.0.0.3", server.Port))
        {
            Assert.Equal(DimseStatus.Success, await other.EchoAsync());
            await other.ReleaseAsync();
        }

        // A released slot is free again for its address.
        await held[0].ReleaseAsync();
        await held[0].DisposeAsync();
        await DicomClientTests.WaitUntil(() => server.ActiveAssociations == 2);
        await using (var again = await ConnectFromAsync("127.0.0.2", server.Port))
        {
            Assert.Equal(DimseStatus.Success, await again.EchoAsync());
            await again.ReleaseAsync();
        }
        foreach (var c in held.Skip(1))
        {
            await c.ReleaseAsync();
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task PerCallingAeQuota_HeldByOneTitle_OtherTitleStillAssociates()
    {
        await using var server = Server(perCallingAe: 2);
        await using var a = await ConnectFromAsync("127.0.0.2", server.Port, "MODALITY1");
        await using var b = await ConnectFromAsync("127.0.0.3", server.Port, "MODALITY1");

        // The same title from yet another address: the title's quota, not the address's, refuses it.
        await AssertRejectedAsync(() => ConnectFromAsync("127.0.0.4", server.Port, "MODALITY1"));
        await using var c = await ConnectFromAsync("127.0.0.4", server.Port, "MODALITY2");
        Assert.Equal(DimseStatus.Success, await c.EchoAsync());
        foreach (var client in new[] { a, b, c })
        {
            await client.ReleaseAsync();
        }
    }

    [Fact]
    public async Task HalfOpenFlood_FromOneAddress_HoldsOnlyItsQuotaAndExpiresWithArtim()
    {
        await using var server = Server(perAddress: 8);
        var flood = new List<Socket>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
                s.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0));
                await s.ConnectAsync(IPAddress.Loopback, server.Port);
                await s.SendAsync(new byte[] { 1, 0, 0 }, SocketFlags.None); // 3 bytes of a PDU header, then nothing
                flood.Add(s);
            }
            await DicomClientTests.WaitUntil(() => server.ActiveAssociations <= 8);
            Assert.InRange(server.ActiveAssociations, 0, 8);

            var clock = System.Diagnostics.Stopwatch.StartNew();
            await using (var client = await ConnectFromAsync("127.0.0.4", server.Port))
            {
                Assert.Equal(DimseStatus.Success, await client.EchoAsync());
                await client.ReleaseAsync();
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"echo took {clock.Elapsed.TotalMilliseconds:F0} ms during the flood");

            // ARTIM (1 s here) closes the half-open connections that did hold a slot.
            await DicomClientTests.WaitUntil(() => server.ActiveAssociations == 0);
        }
        finally
        {
            foreach (var s in flood)
            {
                s.Dispose();
            }
        }
    }

    [Fact]
    public async Task UnusedAssociation_IsAbortedAfterFirstRequestTimeout_UsedOneIsNot()
    {
        await using var server = Server(firstRequest: TimeSpan.FromSeconds(1));
        await using var unused = await ConnectFromAsync("127.0.0.2", server.Port);
        await using var used = await ConnectFromAsync("127.0.0.2", server.Port);
        Assert.Equal(DimseStatus.Success, await used.EchoAsync());

        var closed = await Task.WhenAny(unused.Closed, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.Same(unused.Closed, closed);
        // The idle timeout (30 s) applies to the association that did something.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(used.Closed.IsCompleted);
        Assert.Equal(DimseStatus.Success, await used.EchoAsync());
        await used.ReleaseAsync();
    }
}
