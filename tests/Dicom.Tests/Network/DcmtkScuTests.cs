using System.Globalization;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>dcmtk SCUs (echoscu, storescu, findscu, movescu, getscu) against our <see cref="DicomServer"/>.</summary>
public sealed class DcmtkScuTests
{
    private static string P(DicomServer s) => s.Port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task EchoScu_AgainstServer_Succeeds()
    {
        await using var server = StartServer(new DicomServiceProviders { Echo = DicomServiceProviders.AlwaysSuccessEcho });
        var r = await RunAsync("echoscu", ["-aec", "ARCHIVE", "127.0.0.1", P(server)]);
        Assert.True(r.ExitCode == 0, r.Output);
    }

    [Fact]
    public async Task EchoScu_UnknownCalledAe_IsRejected()
    {
        await using var server = StartServer(new DicomServiceProviders { Echo = DicomServiceProviders.AlwaysSuccessEcho },
            policy: Policy(new HashSet<string> { "ARCHIVE" }));
        var r = await RunAsync("echoscu", ["-aec", "NOBODY", "127.0.0.1", P(server)]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("Called AE Title Not Recognized", r.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("-xi", "CT_small.dcm", "1.2.840.10008.1.2")]
    [InlineData("-xe", "CT_small.dcm", "1.2.840.10008.1.2.1")]
    [InlineData("-xb", "MR_small_bigendian.dcm", "1.2.840.10008.1.2.2")]
    [InlineData("-xe", "MR_small_implicit.dcm", "1.2.840.10008.1.2")]
    public async Task StoreScu_TransferSyntaxOption_ArrivesInNegotiatedSyntax(string option, string file, string expectedSyntax)
    {
        var store = new CollectingStoreProvider();
        // A server that prefers big endian when offered, to prove -xb really arrives as big endian.
        var policy = expectedSyntax == "1.2.840.10008.1.2.2"
            ? new DefaultAssociationPolicy { AbstractSyntaxes = new Dictionary<string, IReadOnlyList<string>> { [MRImageStorage] = ["1.2.840.10008.1.2.2"] } }
            : Policy();
        await using var server = StartServer(new DicomServiceProviders { Store = store }, policy: policy);
        var r = await RunAsync("storescu", [option, "-aec", "ARCHIVE", "127.0.0.1", P(server), CorpusFile(file)]);
        Assert.True(r.ExitCode == 0, r.Output);
        var received = Assert.Single(store.Instances);
        Assert.Equal(expectedSyntax, received.TransferSyntax.Uid);
        Assert.True(received.Bytes.Length > 1000);
        var instance = await InstanceFromFileAsync(CorpusFile(file));
        Assert.Equal(instance.SopInstanceUid, received.Request.AffectedSopInstanceUid);
        if (instance.TransferSyntax.Uid == expectedSyntax)
        {
            // Unchanged bytes when no conversion (storescu only drops trailing padding, FFFC,FFFC).
            var original = await DataSetBytesAsync(CorpusFile(file));
            Assert.Equal(original.AsSpan(0, received.Bytes.Length).ToArray(), received.Bytes);
        }
    }

    [Fact]
    public async Task StoreScu_ScanDirectory_StoresEveryFile()
    {
        var store = new CollectingStoreProvider();
        await using var server = StartServer(new DicomServiceProviders { Store = store });
        var dir = TempDir();
        try
        {
            foreach (var f in new[] { "CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm" })
            {
                File.Copy(CorpusFile(f), Path.Combine(dir, f));
            }

            var r = await RunAsync("storescu", ["+sd", "-aec", "ARCHIVE", "127.0.0.1", P(server), dir]);
            Assert.True(r.ExitCode == 0, r.Output);
            Assert.Equal(3, store.Instances.Count);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task StoreScu_SeveralAtOnce_AllStored()
    {
        var store = new CollectingStoreProvider();
        await using var server = StartServer(new DicomServiceProviders { Store = store });
        var runs = Enumerable.Range(0, 6).Select(_ => RunAsync("storescu", ["-aec", "ARCHIVE", "127.0.0.1", P(server), CorpusFile("CT_small.dcm"), CorpusFile("MR_small.dcm")])).ToArray();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Output));
        Assert.Equal(12, store.Instances.Count);
        Assert.Empty(store.Failures);
    }

    [Fact]
    public async Task StoreScu_WithNaglesAlgorithmOn_IsNotHeldBackByDelayedAcknowledgements()
    {
        // Without TCP_NODELAY storescu holds the tail of each message until what it sent before is acknowledged, and
        // Linux delays that acknowledgement (up to 40 ms) on a connection that answers every request: without
        // QuickAck every store waited about 50 ms here (100 stores: 5.0-5.4 s against 0.2 s with TCP_NODELAY).
        // The median interval between stores tells the two apart whatever else the machine is doing: a loaded
        // machine stretches some intervals (the total time of 100 stores varied 1.0-1.5 s with QuickAck while two
        // builds ran), not most of them by a delayed acknowledgement's 40 ms.
        var store = new CollectingStoreProvider { KeepBytes = false };
        await using var server = StartServer(new DicomServiceProviders { Store = store });
        string[] args = ["-aec", "ARCHIVE", "127.0.0.1", P(server), .. Enumerable.Repeat(CorpusFile("CT_small.dcm"), 100)];

        var nagle = await RunAsync("storescu", args, timeoutSeconds: 60, nagle: true);

        Assert.True(nagle.ExitCode == 0, nagle.Output);
        var times = store.Instances.Select(i => i.StoredAt).Order().ToArray();
        Assert.Equal(100, times.Length);
        var intervals = times.Zip(times.Skip(1), (a, b) => System.Diagnostics.Stopwatch.GetElapsedTime(a, b).TotalMilliseconds).Order().ToArray();
        var median = intervals[intervals.Length / 2];
        Assert.True(median < 20, $"with Nagle's algorithm on the median interval between stores was {median:F1} ms (a delayed acknowledgement stalls 40 ms)");
    }

    [Fact]
    public async Task FindScu_StudyRoot_ReceivesEveryMatch()
    {
        var find = new FixedFindProvider([FixedFindProvider.Study("DOE^JOHN", "1.2.3.1"), FixedFindProvider.Study("ROE^JANE", "1.2.3.2"), FixedFindProvider.Study("POE^EDGAR", "1.2.3.3")]);
        await using var server = StartServer(new DicomServiceProviders { Find = find });
        var dir = TempDir();
        try
        {
            var r = await RunAsync("findscu", ["-S", "-X", "-od", dir, "-aec", "ARCHIVE", "127.0.0.1", P(server), "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientName=*", "-k", "StudyInstanceUID"]);
            Assert.True(r.ExitCode == 0, r.Output);
            Assert.True(Directory.GetFiles(dir, "rsp*.dcm").Length == 3, r.Output);
            var dump = await RunAsync("dcmdump", [Path.Combine(dir, "rsp0002.dcm")]);
            Assert.Contains("ROE^JANE", dump.Output);
            var request = Assert.Single(find.Requests);
            Assert.Equal(StudyRootFind, request.AffectedSopClassUid);
            Assert.Equal("STUDY", request.Identifier.GetString(new DicomTag(0x00080052)));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task FindScu_Cancel_StopsProviderAndEndsWithCancel()
    {
        var find = new FixedFindProvider([FixedFindProvider.Study("A", "1.1"), FixedFindProvider.Study("B", "1.2"), FixedFindProvider.Study("C", "1.3")], stallAfter: 1);
        await using var server = StartServer(new DicomServiceProviders { Find = find });
        var r = await RunAsync("findscu", ["-S", "-v", "--cancel", "1", "-aec", "ARCHIVE", "127.0.0.1", P(server), "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientName"]);
        await find.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("Cancel", r.Output);
    }

    [Fact]
    public async Task MoveScu_ToStoreScp_InstancesArriveWithCounts()
    {
        using var storescp = new StoreScp("DEST");
        var instances = new[] { await InstanceFromFileAsync(CorpusFile("CT_small.dcm")), await InstanceFromFileAsync(CorpusFile("MR_small.dcm")) };
        var retrieve = new FixedRetrieveProvider(instances, new Dictionary<string, DicomPeer> { ["DEST"] = new("DEST", "127.0.0.1", storescp.Port) });
        await using var server = StartServer(new DicomServiceProviders { Move = retrieve });
        var r = await RunAsync("movescu", ["-S", "-v", "-aec", "ARCHIVE", "-aem", "DEST", "127.0.0.1", P(server), "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.3"]);
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Equal(2, storescp.Files().Length);
        Assert.True(r.Output.Contains("Final Move Response (Success)", StringComparison.Ordinal), r.Output);
        Assert.Contains("Move Response 1 (Pending)", r.Output);
    }

    [Fact]
    public async Task MoveScu_UnknownDestination_FailsWithA801()
    {
        var retrieve = new FixedRetrieveProvider([], new Dictionary<string, DicomPeer>());
        await using var server = StartServer(new DicomServiceProviders { Move = retrieve });
        var r = await RunAsync("movescu", ["-S", "-v", "-aec", "ARCHIVE", "-aem", "NOWHERE", "127.0.0.1", P(server), "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.3"]);
        Assert.True(r.Output.Contains("MoveDestinationUnknown", StringComparison.Ordinal), r.Output);
    }

    [Fact]
    public async Task GetScu_InstancesArriveOnSameAssociation_ImplicitOneConverted()
    {
        var instances = new[] { await InstanceFromFileAsync(CorpusFile("CT_small.dcm")), await InstanceFromFileAsync(CorpusFile("MR_small_implicit.dcm")) };
        var retrieve = new FixedRetrieveProvider(instances, new Dictionary<string, DicomPeer>());
        await using var server = StartServer(new DicomServiceProviders { Get = retrieve });
        var dir = TempDir();
        try
        {
            var r = await RunAsync("getscu", ["-S", "-v", "-od", dir, "-aec", "ARCHIVE", "127.0.0.1", P(server), "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.3"]);
            Assert.True(r.ExitCode == 0, r.Output);
            var files = Directory.GetFiles(dir);
            Assert.Equal(2, files.Length);
            // getscu proposed explicit VR first and we accepted it: the implicit VR instance arrived converted.
            var mr = await RunAsync("dcmdump", ["-M", files.Single(f => Path.GetFileName(f).StartsWith("MR", StringComparison.Ordinal))]);
            Assert.Contains("LittleEndianExplicit", mr.Output);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
