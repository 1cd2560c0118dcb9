using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>
/// How C-FIND responses leave the SCP (issue 17 §3: C-FIND on one association took 14.7 ms where QIDO took 4.6 ms,
/// two small sends and two wake-ups of the peer per match): the acceptor runs on in-memory pipes whose output counts
/// flushes (each is a send on a socket transport).
/// </summary>
public sealed class FindResponseFlushTests
{
    [Fact]
    public async Task Find_MatchesReadyTogether_PendingAndFinalLeaveInOneFlush()
    {
        var matches = Enumerable.Range(1, 20).Select(i => FixedFindProvider.Study($"DOE^{i}", $"1.2.826.0.1.3680043.10.998.{i}")).ToList();
        await using var link = await StartAsync(new FixedFindProvider(matches));

        var before = link.Output.Flushes;
        var received = await FindAllAsync(link);

        Assert.Equal(matches.Select(m => m.GetString(DicomTag.StudyInstanceUID)), received.Select(m => m.GetString(DicomTag.StudyInstanceUID)));
        Assert.Equal(1, link.Output.Flushes - before);
    }

    [Fact]
    public async Task Find_MatchThatFitsOnePdu_LeavesAsOnePduOfCommandAndDataSet()
    {
        var matches = Enumerable.Range(1, 20).Select(i => FixedFindProvider.Study($"DOE^{i}", $"1.2.826.0.1.3680043.10.998.{i}")).ToList();
        await using var link = await StartAsync(new FixedFindProvider(matches));

        var before = link.Tap.PDataPdus.Count;
        var received = await FindAllAsync(link);

        Assert.Equal(matches.Select(m => m.GetString(DicomTag.StudyInstanceUID)), received.Select(m => m.GetString(DicomTag.StudyInstanceUID)));
        var pdus = link.Tap.PDataPdus.Skip(before).ToList();
        // Each pending response: one PDU, its command PDV (03h: command, last) then its data set PDV (02h: data set,
        // last); the final response has no data set (PS3.4 C.4.1.1.4): one PDV.
        Assert.Equal(21, pdus.Count);
        Assert.All(pdus.Take(20), controls => Assert.Equal(new byte[] { 0x03, 0x02 }, controls));
        Assert.Equal(new byte[] { 0x03 }, pdus[20]);
    }

    [Fact]
    public async Task Find_MatchLargerThanThePeersPdu_CommandAndDataSetFragmentsInPdusOfTheirOwn()
    {
        var match = FixedFindProvider.Study("DOE^LONG", "1.2.826.0.1.3680043.10.998.1");
        match.SetString(DicomTag.StudyDescription, DicomVR.LO, new string('X', 10_000));
        await using var link = await StartAsync(new FixedFindProvider([match]), clientMaxPduLength: 4096);

        var before = link.Tap.PDataPdus.Count;
        var received = Assert.Single(await FindAllAsync(link));

        Assert.Equal(10_000, received.GetString(DicomTag.StudyDescription)!.Length);
        var pdus = link.Tap.PDataPdus.Skip(before).ToList();
        // PS3.8 9.3.1 / D.1: no PDU longer than the peer's maximum; a data set that does not fit is fragmented, the
        // command going alone: command; data set 4090, 4090 and the rest (last); the final response's command.
        byte[][] expected = [[0x03], [0x00], [0x00], [0x02], [0x03]];
        Assert.Equal(expected, pdus);
        Assert.All(link.Tap.PDataLengths.Skip(before), length => Assert.True(length <= 4096, $"a PDU of {length} bytes"));
    }

    [Fact]
    public async Task Find_PendingResponsesOfMixedSizes_EachDataSetArrivesWhole()
    {
        // The pending responses share one encoded command and one data set buffer (encoded once per request, reused
        // per response): a long match, fragmented past the peer's maximum PDU (PS3.8 9.3.1), then short ones and a
        // match past the buffer size the association keeps must each arrive as it was, none carrying bytes of another.
        var sizes = new[] { 9_000, 3, 1_000, 300_000, 0, 5, 9_000, 1 };
        var text = new DicomTag(0x0040A160); // Text Value, UT: a 32-bit length (PS3.5 7.1.2), room for 300,000 characters
        var matches = sizes.Select((n, i) =>
        {
            var ds = FixedFindProvider.Study($"DOE^{i}", $"1.2.826.0.1.3680043.10.998.{i}");
            ds.SetString(text, DicomVR.UT, new string((char)('A' + i), n));
            return ds;
        }).ToList();
        await using var link = await StartAsync(new FixedFindProvider(matches), clientMaxPduLength: 4096);

        var before = link.Tap.PDataLengths.Count;
        var first = await FindAllAsync(link);
        var second = await FindAllAsync(link); // a second request on the association: its own Message ID, its own command

        foreach (var received in new[] { first, second })
        {
            Assert.Equal(sizes.Length, received.Count);
            for (var i = 0; i < sizes.Length; i++)
            {
                Assert.Equal($"1.2.826.0.1.3680043.10.998.{i}", received[i].GetString(DicomTag.StudyInstanceUID));
                Assert.Equal($"DOE^{i}", received[i].GetString(DicomTag.PatientName));
                Assert.Equal(new string((char)('A' + i), sizes[i]), received[i].GetString(text) ?? "");
            }
        }
        Assert.All(link.Tap.PDataLengths.Skip(before), length => Assert.True(length <= 4096, $"a PDU of {length} bytes"));
    }

    [Fact]
    public async Task Find_LongAnswer_StreamsInFlushesOfAboutFlushThreshold()
    {
        var description = new string('X', 200);
        var matches = Enumerable.Range(1, 3000).Select(i =>
        {
            var ds = FixedFindProvider.Study($"DOE^{i}", $"1.2.826.0.1.3680043.10.998.{i}");
            ds.SetString(DicomTag.StudyDescription, DicomVR.LO, description);
            return ds;
        }).ToList();
        await using var link = await StartAsync(new FixedFindProvider(matches));

        var before = link.Output.Flushes;
        var bytesBefore = link.Output.Bytes;
        var received = await FindAllAsync(link);

        Assert.Equal(3000, received.Count);
        var flushes = link.Output.Flushes - before;
        var bytes = link.Output.Bytes - bytesBefore;
        // Streamed (not held whole until the end), and far fewer sends than the 6,000 PDUs.
        Assert.True(flushes >= bytes / (DicomAssociation.FlushThreshold + 4096), $"{flushes} flushes for {bytes} bytes");
        Assert.True(flushes <= bytes / DicomAssociation.FlushThreshold + 2, $"{flushes} flushes for {bytes} bytes");
    }

    [Fact]
    public async Task Find_NextMatchNotReady_WhatIsReadyIsFlushedBeforeWaiting()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new GatedFindProvider(
            [FixedFindProvider.Study("DOE^A", "1.2.826.0.1.3680043.10.998.1"), FixedFindProvider.Study("DOE^B", "1.2.826.0.1.3680043.10.998.2")],
            gate.Task);
        await using var link = await StartAsync(provider);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await using var responses = link.Client.FindAsync(StudyRootFind, Identifier(), timeout.Token).GetAsyncEnumerator(timeout.Token);
        // The first match reaches the peer while the provider still waits for the second.
        Assert.True(await responses.MoveNextAsync());
        Assert.Equal("1.2.826.0.1.3680043.10.998.1", responses.Current.GetString(DicomTag.StudyInstanceUID));
        gate.SetResult();
        Assert.True(await responses.MoveNextAsync());
        Assert.Equal("1.2.826.0.1.3680043.10.998.2", responses.Current.GetString(DicomTag.StudyInstanceUID));
        Assert.False(await responses.MoveNextAsync());
    }

    private static DicomDataset Identifier()
    {
        var identifier = new DicomDataset();
        identifier.SetString(DicomTag.QueryRetrieveLevel, DicomVR.CS, "STUDY");
        identifier.SetString(DicomTag.PatientName, DicomVR.PN, "DOE*");
        identifier.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, "");
        return identifier;
    }

    /// <summary>Yields the first match, then waits for <paramref name="gate"/> before the rest (a slow database).</summary>
    private sealed class GatedFindProvider(IReadOnlyList<DicomDataset> matches, Task gate) : ICFindProvider
    {
        public async IAsyncEnumerable<DicomDataset> OnCFindAsync(CFindRequest request, AssociationInfo association, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < matches.Count; i++)
            {
                if (i == 1)
                {
                    await gate.WaitAsync(cancellationToken);
                }

                yield return matches[i];
            }
        }
    }

    /// <summary>An acceptor and a client on in-memory pipes; the acceptor's output counts its flushes and its PDUs are recorded.</summary>
    private static Task<TappedLink> StartAsync(ICFindProvider provider, uint? clientMaxPduLength = null) =>
        TappedLink.StartAsync(TappedLink.Side.Acceptor, new DicomServiceProviders { Find = provider },
            new PresentationContextRequest(StudyRootFind, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid]), clientMaxPdu: clientMaxPduLength);

    private static async Task<List<DicomDataset>> FindAllAsync(TappedLink link)
    {
        var list = new List<DicomDataset>();
        await foreach (var match in link.Client.FindAsync(StudyRootFind, Identifier(), link.Token))
        {
            list.Add(match);
        }

        return list;
    }
}
