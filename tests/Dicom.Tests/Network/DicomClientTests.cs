using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>Our SCU (<see cref="DicomClient"/>) against dcmtk's storescp and against our own server.</summary>
public sealed class DicomClientTests
{
    private static DicomClientOptions Options(int port, params PresentationContextRequest[] contexts) => new()
    {
        Port = port,
        CalledAeTitle = "ARCHIVE",
        CallingAeTitle = "TESTSCU",
        PresentationContexts = contexts,
        Association = new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(5), DimseTimeout = TimeSpan.FromSeconds(10) },
    };

    private static PresentationContextRequest Echo => new(CEchoRequest.VerificationSopClassUid, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid]);

    [Fact]
    public async Task Echo_AgainstOwnServer_SucceedsAndReleases()
    {
        await using var server = StartServer(new DicomServiceProviders { Echo = DicomServiceProviders.AlwaysSuccessEcho });
        await using var client = await DicomClient.ConnectAsync(Options(server.Port, Echo));
        Assert.Equal(DimseStatus.Success, await client.EchoAsync());
        Assert.Equal(DimseStatus.Success, await client.EchoAsync());
        await client.ReleaseAsync();
        Assert.True(client.Closed.IsCompleted);
        await WaitUntil(() => server.ActiveAssociations == 0);
    }

    [Fact]
    public async Task StoreFile_ToDcmtkStoreScp_FilesArrive()
    {
        using var storescp = new StoreScp("ARCHIVE");
        await using var client = await DicomClient.ConnectAsync(Options(storescp.Port,
            new PresentationContextRequest(CTImageStorage, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid]),
            new PresentationContextRequest(MRImageStorage, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid])));
        Assert.Equal(DimseStatus.Success, await client.StoreFileAsync(CorpusFile("CT_small.dcm")));
        Assert.Equal(DimseStatus.Success, await client.StoreFileAsync(CorpusFile("MR_small_implicit.dcm")));
        await client.ReleaseAsync();
        await WaitUntil(() => storescp.Files().Length == 2);
        var dump = await RunAsync("dcmdump", [storescp.Files().Single(f => Path.GetFileName(f).StartsWith("CT", StringComparison.Ordinal))]);
        Assert.Contains("1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322", dump.Output);
    }

    [Fact]
    public async Task StoreFile_PeerAcceptsOnlyImplicit_ConvertsExplicitToImplicit()
    {
        using var storescp = new StoreScp("ARCHIVE", "+xi"); // storescp accepting implicit VR LE only
        await using var client = await DicomClient.ConnectAsync(Options(storescp.Port,
            new PresentationContextRequest(CTImageStorage, DicomClientOptions.NativeTransferSyntaxes)));
        Assert.Equal(DicomTransferSyntax.ImplicitVRLittleEndian.Uid, client.Association.PresentationContexts.Single().TransferSyntax!.Uid);
        Assert.Equal(DimseStatus.Success, await client.StoreFileAsync(CorpusFile("CT_small.dcm")));
        await client.ReleaseAsync();
        await WaitUntil(() => storescp.Files().Length == 1);
        var dump = await RunAsync("dcmdump", [storescp.Files()[0]]);
        Assert.Contains("LittleEndianImplicit", dump.Output);
        Assert.Contains("1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322", dump.Output);
    }

    [Fact]
    public async Task StoreFile_BigEndianToImplicitOnlyPeer_PixelDataSwapped()
    {
        var store = new CollectingStoreProvider();
        var policy = new DefaultAssociationPolicy { AbstractSyntaxes = new Dictionary<string, IReadOnlyList<string>> { [MRImageStorage] = [DicomTransferSyntax.ImplicitVRLittleEndian.Uid] } };
        await using var server = StartServer(new DicomServiceProviders { Store = store }, policy: policy);
        await using var client = await DicomClient.ConnectAsync(Options(server.Port,
            new PresentationContextRequest(MRImageStorage, [DicomTransferSyntax.ExplicitVRBigEndian.Uid, DicomTransferSyntax.ImplicitVRLittleEndian.Uid])));
        Assert.Equal(DimseStatus.Success, await client.StoreFileAsync(CorpusFile("MR_small_bigendian.dcm")));
        await client.ReleaseAsync();
        var received = Assert.Single(store.Instances);
        Assert.Equal(DicomTransferSyntax.ImplicitVRLittleEndian, received.TransferSyntax);
        var got = Pacs.Dicom.IO.DicomReader.ReadDataset(received.Bytes, DicomTransferSyntax.ImplicitVRLittleEndian).Dataset;
        var expected = Pacs.Dicom.IO.DicomReader.ReadDataset(await DataSetBytesAsync(CorpusFile("MR_small_implicit.dcm")), DicomTransferSyntax.ImplicitVRLittleEndian).Dataset;
        Assert.True(got.TryGetElement(DicomTag.PixelData, out var gotPixels));
        Assert.True(expected.TryGetElement(DicomTag.PixelData, out var expectedPixels));
        Assert.Equal(expectedPixels.Value.ToArray(), gotPixels.Value.ToArray());
        Assert.Equal(expected.GetString(DicomTag.PatientName), got.GetString(DicomTag.PatientName));
    }

    [Fact]
    public async Task Store_ToOwnServer_BytesArriveUnchanged()
    {
        var store = new CollectingStoreProvider();
        await using var server = StartServer(new DicomServiceProviders { Store = store });
        // A small maximum PDU on the server side forces many fragments.
        await using var client = await DicomClient.ConnectAsync(Options(server.Port,
            new PresentationContextRequest(CTImageStorage, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid])) with
        { Association = new DicomAssociationOptions { MaxSendPduLength = 4096 } });
        Assert.Equal(DimseStatus.Success, await client.StoreFileAsync(CorpusFile("CT_small.dcm")));
        await client.ReleaseAsync();
        var received = Assert.Single(store.Instances);
        Assert.Equal(await DataSetBytesAsync(CorpusFile("CT_small.dcm")), received.Bytes);
        Assert.Equal("TESTSCU", received.CallingAe);
    }

    [Fact]
    public async Task Store_LargeInstance_StreamsWithBackpressure()
    {
        const long size = 256L * 1024 * 1024;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new CollectingStoreProvider { KeepBytes = false, BeforeRead = (_, _) => gate.Task };
        await using var server = StartServer(new DicomServiceProviders { Store = store });
        await using var client = await DicomClient.ConnectAsync(Options(server.Port,
            new PresentationContextRequest(CTImageStorage, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid])));
        var source = new SyntheticStream(size);
        var send = client.StoreAsync(new InstanceToSend(CTImageStorage, "1.2.3.4", DicomTransferSyntax.ExplicitVRLittleEndian, _ => ValueTask.FromResult<Stream>(source)));
        await Task.Delay(500);
        // The provider has not read: the sender is held back by the pipe threshold plus socket buffers, far below 256 MiB.
        Assert.InRange(source.Position, 1, 48L * 1024 * 1024);
        Assert.False(send.IsCompleted);
        gate.SetResult();
        Assert.Equal(DimseStatus.Success, await send.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(size, Interlocked.Read(ref store.BytesRead));
        await client.ReleaseAsync();
    }

    [Fact]
    public async Task Find_AgainstOwnServer_YieldsMatchesAndCancelsOnBreak()
    {
        var matches = Enumerable.Range(1, 5).Select(i => FixedFindProvider.Study($"PATIENT^{i}", $"1.2.3.{i}")).ToList();
        var find = new FixedFindProvider(matches, stallAfter: 3);
        await using var server = StartServer(new DicomServiceProviders { Find = find });
        await using var client = await DicomClient.ConnectAsync(Options(server.Port, new PresentationContextRequest(StudyRootFind, DicomClientOptions.NativeTransferSyntaxes)));
        var query = new DicomDataset();
        query.SetString(new DicomTag(0x00080052), DicomVR.CS, "STUDY");
        query.SetString(DicomTag.PatientName, DicomVR.PN, "*");
        var names = new List<string?>();
        await foreach (var m in client.FindAsync(StudyRootFind, query))
        {
            names.Add(m.GetString(DicomTag.PatientName));
            if (names.Count == 3)
            {
                break; // the provider stalls after 3: only C-CANCEL ends it
            }
        }
        await find.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["PATIENT^1", "PATIENT^2", "PATIENT^3"], names);
        Assert.Equal("*", Assert.Single(find.Requests).Identifier.GetString(DicomTag.PatientName));
        await client.ReleaseAsync();
    }

    [Fact]
    public async Task Find_ImplicitVR_MatchesRoundTrip()
    {
        var find = new FixedFindProvider([FixedFindProvider.Study("DOE^JOHN", "1.2.3.1"), FixedFindProvider.Study("ROE^JANE", "1.2.3.2")]);
        await using var server = StartServer(new DicomServiceProviders { Find = find });
        await using var client = await DicomClient.ConnectAsync(Options(server.Port, new PresentationContextRequest(StudyRootFind, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid])));
        var results = new List<DicomDataset>();
        await foreach (var m in client.FindAsync(StudyRootFind, new DicomDataset()))
        {
            results.Add(m);
        }

        Assert.Equal(2, results.Count);
        Assert.Equal("1.2.3.2", results[1].GetString(DicomTag.StudyInstanceUID));
        await client.ReleaseAsync();
    }

    [Fact]
    public async Task Move_ToDcmtkStoreScp_CountsAndFailedList()
    {
        using var storescp = new StoreScp("DEST");
        var broken = new InstanceToSend(CTImageStorage, "9.9.9", DicomTransferSyntax.ExplicitVRLittleEndian, _ => throw new IOException("blob missing"));
        var instances = new[] { await InstanceFromFileAsync(CorpusFile("CT_small.dcm")), broken, await InstanceFromFileAsync(CorpusFile("MR_small.dcm")) };
        var retrieve = new FixedRetrieveProvider(instances, new Dictionary<string, DicomPeer> { ["DEST"] = new("DEST", "127.0.0.1", storescp.Port) });
        await using var server = StartServer(new DicomServiceProviders { Move = retrieve });
        await using var client = await DicomClient.ConnectAsync(Options(server.Port, new PresentationContextRequest(StudyRootMove, DicomClientOptions.NativeTransferSyntaxes)));
        var pendings = new List<CMoveResponse>();
        var final = await client.MoveAsync(StudyRootMove, "DEST", new DicomDataset(), new SynchronousProgress<CMoveResponse>(pendings.Add));
        await client.ReleaseAsync();
        Assert.Equal(DimseStatus.SubOperationsCompleteWithFailures.Code, final.Status.Code);
        Assert.Equal(new SubOperationCounts(null, 2, 1, 0), final.Counts);
        Assert.Equal(["9.9.9"], final.FailedSopInstanceUids);
        Assert.Equal(2, pendings.Count);
        Assert.Equal((ushort)2, pendings[0].Counts!.Value.Remaining);
        Assert.Equal(2, storescp.Files().Length);
    }

    [Fact]
    public async Task Get_AgainstOwnServer_InstancesArriveOnSameAssociation()
    {
        var instances = new[] { await InstanceFromFileAsync(CorpusFile("CT_small.dcm")), await InstanceFromFileAsync(CorpusFile("MR_small.dcm")) };
        await using var server = StartServer(new DicomServiceProviders { Get = new FixedRetrieveProvider(instances, new Dictionary<string, DicomPeer>()) });
        var store = new CollectingStoreProvider();
        await using var client = await DicomClient.ConnectAsync(Options(server.Port,
            new PresentationContextRequest(StudyRootGet, DicomClientOptions.NativeTransferSyntaxes),
            new PresentationContextRequest(CTImageStorage, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid], ProposeScpRole: true),
            new PresentationContextRequest(MRImageStorage, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid], ProposeScpRole: true)) with { StoreProvider = store });
        Assert.True(client.Association.PresentationContexts.Where(c => c.AbstractSyntax != StudyRootGet).All(c => c.RequestorIsScp));
        var final = await client.GetAsync(StudyRootGet, new DicomDataset());
        await client.ReleaseAsync();
        Assert.Equal(DimseStatus.Success, final.Status);
        Assert.Equal((ushort)2, final.Counts!.Value.Completed);
        Assert.Equal(2, store.Instances.Count);
        Assert.Equal(await DataSetBytesAsync(CorpusFile("MR_small.dcm")), store.Instances.Single(i => i.Request.AffectedSopClassUid == MRImageStorage).Bytes);
    }

    [Fact]
    public async Task UserIdentity_IsHandedToPolicy()
    {
        var policy = Policy();
        var authorising = new DefaultAssociationPolicy
        {
            AbstractSyntaxes = policy.AbstractSyntaxes,
            AuthorizeUser = id => id is { Type: UserIdentityType.UsernameAndPasscode } && id.PrimaryText == "alice" && id.SecondaryText == "s3cret",
        };
        await using var server = StartServer(new DicomServiceProviders { Echo = DicomServiceProviders.AlwaysSuccessEcho }, policy: authorising);
        var rejected = await Assert.ThrowsAsync<DicomAssociationRejectedException>(() =>
            DicomClient.ConnectAsync(Options(server.Port, Echo) with { UserIdentity = UserIdentityRequest.ForUsername("alice", "wrong") }));
        Assert.Equal(AssociateRejectResult.Permanent, rejected.Reject.Result);
        Assert.Equal(AssociateRejectSource.ServiceUser, rejected.Reject.Source);
        await using var client = await DicomClient.ConnectAsync(Options(server.Port, Echo) with { UserIdentity = UserIdentityRequest.ForUsername("alice", "s3cret", positiveResponseRequested: true) });
        Assert.Equal(DimseStatus.Success, await client.EchoAsync());
        await client.ReleaseAsync();
    }

    [Fact]
    public async Task PolicyUser_IsCarriedToTheServiceProviders()
    {
        var echo = new UserCapturingEcho();
        var identifying = new IdentifyingPolicy(Policy());
        await using var server = StartServer(new DicomServiceProviders { Echo = echo }, policy: identifying);
        await using var client = await DicomClient.ConnectAsync(Options(server.Port, Echo) with { UserIdentity = UserIdentityRequest.ForUsername("alice", "s3cret") });
        Assert.Equal(DimseStatus.Success, await client.EchoAsync());
        Assert.Equal("alice", echo.Seen?.Identity?.Name);
        Assert.Null(client.Association.User); // the requestor's side knows no principal
        await client.ReleaseAsync();
    }

    /// <summary>An application policy that names the requestor by its user identity's username (PS3.7 D.3.3.7).</summary>
    private sealed class IdentifyingPolicy(IAssociationPolicy inner) : IAssociationPolicy
    {
        public async ValueTask<AssociationDecision> DecideAsync(AssociateRequestPdu request, System.Net.EndPoint? remoteEndPoint, CancellationToken cancellationToken) =>
            await inner.DecideAsync(request, remoteEndPoint, cancellationToken) with
            {
                User = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
                    [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, request.UserInformation.UserIdentityRequest!.PrimaryText)], "test")),
            };
    }

    private sealed class UserCapturingEcho : ICEchoProvider
    {
        public System.Security.Claims.ClaimsPrincipal? Seen { get; private set; }

        public ValueTask<DimseStatus> OnCEchoAsync(CEchoRequest request, AssociationInfo association, CancellationToken cancellationToken)
        {
            Seen = association.User;
            return ValueTask.FromResult(DimseStatus.Success);
        }
    }

    [Fact]
    public async Task Abort_FromClient_ServerClosesAssociation()
    {
        await using var server = StartServer(new DicomServiceProviders { Echo = DicomServiceProviders.AlwaysSuccessEcho });
        await using var client = await DicomClient.ConnectAsync(Options(server.Port, Echo));
        await WaitUntil(() => server.ActiveAssociations == 1);
        await client.AbortAsync();
        Assert.True(client.Closed.IsCompleted);
        await WaitUntil(() => server.ActiveAssociations == 0);
    }

    internal static async Task WaitUntil(Func<bool> condition, int seconds = 5)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("condition not reached in time");
            }

            await Task.Delay(20);
        }
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>A read-only stream of <paramref name="length"/> generated bytes that tracks how far it was read.</summary>
    private sealed class SyntheticStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => Interlocked.Read(ref _position); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            buffer[..n].Fill((byte)(_position & 0xFF));
            Interlocked.Add(ref _position, n);
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>The acceptor ending the association itself, through <see cref="DicomAcceptor"/> on a socket.</summary>
public sealed class DicomAcceptorTests
{
    private static async Task<(DicomClient Client, DicomAssociationHandle Handle, Task Run)> ConnectAsync(System.Net.Sockets.TcpListener listener)
    {
        var acceptor = new DicomAcceptor(new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(5) }, Policy(),
            new DicomServiceProviders { Echo = DicomServiceProviders.AlwaysSuccessEcho });
        var established = new TaskCompletionSource<DicomAssociationHandle>(TaskCreationOptions.RunContinuationsAsynchronously);
        var accept = Task.Run(async () =>
        {
            var socket = await listener.AcceptSocketAsync();
            await acceptor.RunAsync(SocketTransport.Create(socket), socket.RemoteEndPoint, CancellationToken.None, established.SetResult);
        });
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var client = await DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = port,
            CalledAeTitle = "ARCHIVE",
            PresentationContexts = [new PresentationContextRequest(CEchoRequest.VerificationSopClassUid, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid])],
        });
        var handle = await established.Task.WaitAsync(TimeSpan.FromSeconds(5));
        return (client, handle, accept);
    }

    [Fact]
    public async Task Release_FromAcceptor_BothSidesClose()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var (client, handle, run) = await ConnectAsync(listener);
            await using (client)
            {
                Assert.Equal(DimseStatus.Success, await client.EchoAsync());
                Assert.Equal("ARCHIVE", handle.Info.CalledAeTitle);
                await handle.ReleaseAsync().WaitAsync(TimeSpan.FromSeconds(5));
                await client.Closed.WaitAsync(TimeSpan.FromSeconds(5));
                await run.WaitAsync(TimeSpan.FromSeconds(5));
                await Assert.ThrowsAsync<DicomAssociationAbortedException>(() => client.EchoAsync());
            }
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Abort_FromAcceptor_ClientSeesAbort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var (client, handle, run) = await ConnectAsync(listener);
            await using (client)
            {
                await handle.AbortAsync();
                await client.Closed.WaitAsync(TimeSpan.FromSeconds(5));
                await run.WaitAsync(TimeSpan.FromSeconds(5));
                var ex = await Assert.ThrowsAsync<DicomAssociationAbortedException>(() => client.EchoAsync());
                Assert.Equal(AbortSource.ServiceUser, ex.Abort?.Source);
            }
        }
        finally
        {
            listener.Stop();
        }
    }
}
