using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>C-CANCEL of a C-MOVE (PS3.4 C.4.2.3.1; PS3.7 9.3.4.3): movescu has no cancel option, so our SCU sends it.</summary>
public sealed class MoveCancelTests
{
    private static readonly TimeSpan StoreDelay = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Move_CancelledWhileSubOperationInFlight_FinalCancelWithRemainingCount()
    {
        // A slow destination: each C-STORE takes 300 ms, so that the cancel meets a sub-operation under way.
        var destinationStore = new SlowStoreProvider(StoreDelay);
        await using var destination = StartServer(new DicomServiceProviders { Store = destinationStore });
        var files = new[] { "CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "rtplan.dcm", "rtdose.dcm" };
        var instances = new List<InstanceToSend>();
        foreach (var f in files)
        {
            instances.Add(await InstanceFromFileAsync(CorpusFile(f)));
        }

        var retrieve = new FixedRetrieveProvider(instances, new Dictionary<string, DicomPeer> { ["DEST"] = new("DEST", "127.0.0.1", destination.Port) });
        await using var server = StartServer(new DicomServiceProviders { Move = retrieve });

        await using var client = await DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = server.Port,
            CalledAeTitle = "ARCHIVE",
            PresentationContexts = [new PresentationContextRequest(StudyRootMove, DicomClientOptions.NativeTransferSyntaxes)],
            Association = new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(5), DimseTimeout = TimeSpan.FromSeconds(10) },
        });
        using var cancel = new CancellationTokenSource();
        var pendings = new List<CMoveResponse>();
        var identifier = new DicomDataset();
        identifier.SetString(new DicomTag(0x00080052), DicomVR.CS, "STUDY");
        identifier.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3");
        // After the first pending response, cancel half way into the second sub-operation.
        var progress = new Callback<CMoveResponse>(r =>
        {
            pendings.Add(r);
            if (pendings.Count == 1)
            {
                cancel.CancelAfter(StoreDelay / 2);
            }
        });
        var final = await client.MoveAsync(StudyRootMove, "DEST", identifier, progress, cancel.Token).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(DimseStatus.Cancel.Code, final.Status.Code);
        var counts = Assert.IsType<SubOperationCounts>(final.Counts);
        // PS3.4 C.4.2.1.5: after a cancel, the final response carries the number of sub-operations not started.
        Assert.NotNull(counts.Remaining);
        Assert.True(counts.Remaining > 0, $"remaining {counts.Remaining}");
        Assert.Equal(files.Length, counts.Remaining!.Value + counts.Completed + counts.Failed + counts.Warning);
        // The sub-operation under way when C-CANCEL came was finished, not cut: the destination has what was counted.
        Assert.Equal(0, counts.Failed);
        Assert.Equal(counts.Completed, destinationStore.Stored);
        Assert.InRange(counts.Completed, 1, files.Length - 1);
        Assert.Single(pendings);

        // The association is still usable after the cancelled operation.
        var next = await client.MoveAsync(StudyRootMove, "NOWHERE", identifier).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(DimseStatus.MoveDestinationUnknown.Code, next.Status.Code);
        await client.ReleaseAsync();
    }

    [Fact]
    public async Task Get_CancelledWhileSubOperationInFlight_FinalCancelAndAssociationSurvives()
    {
        var files = new[] { "CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "rtdose.dcm" };
        var instances = new List<InstanceToSend>();
        foreach (var f in files)
        {
            instances.Add(await InstanceFromFileAsync(CorpusFile(f)));
        }

        await using var server = StartServer(new DicomServiceProviders { Get = new FixedRetrieveProvider(instances, new Dictionary<string, DicomPeer>()) });
        var store = new SlowStoreProvider(StoreDelay);
        var contexts = new List<PresentationContextRequest> { new(StudyRootGet, DicomClientOptions.NativeTransferSyntaxes) };
        foreach (var sop in instances.Select(i => i.SopClassUid).Distinct())
        {
            contexts.Add(new PresentationContextRequest(sop, DicomClientOptions.NativeTransferSyntaxes, ProposeScpRole: true));
        }

        await using var client = await DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = server.Port,
            CalledAeTitle = "ARCHIVE",
            PresentationContexts = contexts,
            StoreProvider = store,
            Association = new DicomAssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(5), DimseTimeout = TimeSpan.FromSeconds(10) },
        });
        using var cancel = new CancellationTokenSource();
        var identifier = new DicomDataset();
        identifier.SetString(new DicomTag(0x00080052), DicomVR.CS, "STUDY");
        identifier.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3");
        var pendings = 0;
        var progress = new Callback<CGetResponse>(_ => { if (++pendings == 1) { cancel.CancelAfter(StoreDelay / 2); } });
        var final = await client.GetAsync(StudyRootGet, identifier, progress, cancel.Token).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(DimseStatus.Cancel.Code, final.Status.Code);
        var counts = Assert.IsType<SubOperationCounts>(final.Counts);
        Assert.True(counts.Remaining > 0, $"remaining {counts.Remaining}");
        Assert.Equal(files.Length, counts.Remaining!.Value + counts.Completed + counts.Failed + counts.Warning);
        Assert.Equal(0, counts.Failed);
        Assert.Equal(counts.Completed, store.Stored);
        // The association still answers.
        Assert.Equal(DimseStatus.Success.Code, (await client.GetAsync(StudyRootGet, identifier).WaitAsync(TimeSpan.FromSeconds(20))).Status.Code);
        await client.ReleaseAsync();
    }

    private sealed class Callback<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private sealed class SlowStoreProvider(TimeSpan delay) : ICStoreProvider
    {
        private int _stored;

        public int Stored => Volatile.Read(ref _stored);

        public async ValueTask<DimseStatus> OnCStoreAsync(CStoreRequest request, Stream dataSet, DicomTransferSyntax transferSyntax, AssociationInfo association, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken);
            await dataSet.CopyToAsync(Stream.Null, cancellationToken);
            Interlocked.Increment(ref _stored);
            return DimseStatus.Success;
        }
    }
}
