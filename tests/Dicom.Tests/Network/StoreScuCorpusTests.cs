using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Pacs.Dicom.IO;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;
using Pacs.Dicom.Tests.Corpus;
using Pacs.Dicom.Tests.IO;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>
/// dcmtk's storescu sends the whole corpus to our server, once per transfer syntax proposal option, one process
/// and one association per option. What arrives is read back with our reader and compared with the file.
/// </summary>
public sealed partial class StoreScuCorpusTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>
    /// The proposal options of storescu 3.6.7 (`storescu --help`; "" is the default -x=) and the syntax in which
    /// every corpus file of that syntax must arrive unchanged. -R proposes only the SOP classes the files need (so
    /// no file is refused for want of a context), each with the option's syntaxes (not the file's own).
    /// </summary>
    public static TheoryData<string, string> Options => new()
    {
        { "", "1.2.840.10008.1.2.1" },
        { "-xe", "1.2.840.10008.1.2.1" },
        { "-xb", "1.2.840.10008.1.2.2" },
        { "-xi", "1.2.840.10008.1.2" },
        { "-xd", "1.2.840.10008.1.2.1.99" },
        { "-xs", "1.2.840.10008.1.2.4.70" },
        { "-xy", "1.2.840.10008.1.2.4.50" },
        { "-xx", "1.2.840.10008.1.2.4.51" },
        { "-xv", "1.2.840.10008.1.2.4.90" },
        { "-xw", "1.2.840.10008.1.2.4.91" },
        { "-xt", "1.2.840.10008.1.2.4.80" },
        { "-xu", "1.2.840.10008.1.2.1" }, // no JPEG-LS near-lossless file in the corpus: natives only
        { "-xr", "1.2.840.10008.1.2.5" },
        { "-R", "1.2.840.10008.1.2.1" },
        { "-R -xi", "1.2.840.10008.1.2" },
        { "-R -xb", "1.2.840.10008.1.2.2" },
    };

    [Theory]
    [MemberData(nameof(Options))]
    public async Task StoreScu_WholeCorpus_EveryFileSentArrivesInNegotiatedSyntaxWithSameValues(string option, string preferredSyntax)
    {
        var store = new RecordingStoreProvider();
        await using var server = StartServer(new DicomServiceProviders { Store = store }, policy: new ProposerOrderPolicy());
        var files = CorpusFiles.TestFiles().Where(f => !CorpusFiles.Broken.Contains(Path.GetFileName(f))).ToList();
        var args = new List<string>();
        args.AddRange(option.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        args.AddRange(["-v", "-nh", "-aec", "ARCHIVE", "127.0.0.1", server.Port.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(files);
        var r = await RunAsync("storescu", args, timeoutSeconds: 60);
        var requiredOnly = option.Contains("-R", StringComparison.Ordinal);

        // storescu -v logs "Sending file: X" then either the store response or why it could not send it.
        var outcomes = Outcomes(r.Output);
        var sent = outcomes.Where(o => o.Sent).Select(o => o.Path).ToList();
        Assert.Equal(sent.Count, store.Instances.Count);
        Assert.Empty(store.Failures);
        var received = store.Instances.ToArray();
        var arrivedIn = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < sent.Count; i++)
        {
            var name = Path.GetFileName(sent[i]);
            var file = DicomReader.ReadFile(File.ReadAllBytes(sent[i]));
            var got = received[i];
            Assert.Equal(file.Dataset.GetString(DicomTag.SOPInstanceUID), got.Request.AffectedSopInstanceUid);
            arrivedIn[name] = got.TransferSyntax.Uid;

            // The data set is in the syntax negotiated for its context; storescu (Debian's build has no codecs) only
            // converts between native syntaxes, so a change of syntax means a native file.
            var accepted = got.Association.PresentationContexts
                .Where(c => c.IsAccepted && c.AbstractSyntax == got.Request.AffectedSopClassUid).Select(c => c.TransferSyntax!.Uid).ToHashSet();
            Assert.Contains(got.TransferSyntax.Uid, accepted);
            if (file.TransferSyntax.Uid != got.TransferSyntax.Uid)
            {
                Assert.True(file.TransferSyntax.IsNative && got.TransferSyntax.IsNative, $"{name}: {file.TransferSyntax.Name} arrived as {got.TransferSyntax.Name}");
            }

            var read = DicomReader.ReadDataset(got.Bytes, got.TransferSyntax);
            // VRs are compared only when neither side went through implicit VR (dcmtk's private dictionary may
            // name a VR that ours leaves UN).
            var implicitVR = !got.TransferSyntax.IsExplicitVR || !file.TransferSyntax.IsExplicitVR;
            DatasetAssert.Equivalent(Normalized(file.Dataset), Normalized(read.Dataset), implicitVR, $"{name} {option} as {got.TransferSyntax.Name}");
        }

        var refused = new List<string>();
        static DicomDataset file0(string p) => DicomReader.ReadFile(File.ReadAllBytes(p), DicomReadOptions.HeaderOnly).Dataset;
        foreach (var path in files)
        {
            var name = Path.GetFileName(path);
            var syntax = DicomReader.ReadFile(File.ReadAllBytes(path), DicomReadOptions.HeaderOnly).TransferSyntax;
            if (arrivedIn.TryGetValue(name, out var arrived))
            {
                // Every corpus file in the option's preferred syntax that storescu sends arrives in it, unchanged.
                if (syntax.Uid == preferredSyntax)
                {
                    Assert.True(arrived == preferredSyntax, $"{name} arrived in {arrived}, not {syntax.Name}");
                }

                continue;
            }
            // What storescu did not send, it refused itself, for one of three reasons.
            // Its block after "Sending file", or (-R checks every file before associating) lines naming it.
            var log = (outcomes.FirstOrDefault(o => o.Path == path)?.Log ?? "")
                + string.Join('\n', r.Output.Split('\n').Where(l => l.Contains(path, StringComparison.Ordinal)));
            var why = DcmtkUnreadable.Contains(name)
                ? "dcmtk cannot parse it"
                : (log.Contains("No SOP Class or Instance UID", StringComparison.Ordinal) || log.Contains("missing SOP class", StringComparison.Ordinal))
                    && !(HasUid(file0(path), DicomTag.SOPClassUID) && HasUid(file0(path), DicomTag.SOPInstanceUID))
                    // storescu needs both UIDs in the data set as UI: UN_sequence.dcm has none, rtdose_rle.dcm has them as UN
                    ? "no SOP class"
                : syntax.IsEncapsulated && log.Contains("unable to convert dataset", StringComparison.Ordinal)
                    // no context accepted its compressed syntax and storescu cannot decompress
                    ? "no codec"
                    : !requiredOnly && log.Contains("No presentation context", StringComparison.Ordinal)
                        // without -R storescu proposes a fixed list of SOP classes (RT Ion Plan is not in it)
                        ? "SOP class not proposed"
                        : null;
            Assert.True(why is not null, $"{name} ({syntax.Name}) was not sent with '{option}':\n{log}");
            refused.Add($"{name}: {why}");
        }
        output.WriteLine($"storescu {option}: {sent.Count} of {files.Count} sent; arrived as "
            + string.Join(", ", arrivedIn.Values.GroupBy(v => v).Select(g => $"{DicomTransferSyntax.Find(g.Key)?.Name} x{g.Count()}")));
        foreach (var line in refused)
        {
            output.WriteLine("  refused by storescu: " + line);
        }

        Assert.Contains(preferredSyntax, arrivedIn.Values);
    }

    /// <summary>
    /// dcmtk drops trailing spaces and NULs from string values when it writes them (insignificant, PS3.5 6.2) and
    /// omits the Data Set Trailing Padding (FFFC,FFFC) (PS3.10 7.2): both sides are compared without them.
    /// </summary>
    private static DicomDataset Normalized(DicomDataset ds)
    {
        var result = new DicomDataset(ds.Count) { InheritedCharacterSet = ds.CharacterSet };
        foreach (var e in ds)
        {
            if (e.Tag == new DicomTag(0xFFFCFFFC))
            {
                continue;
            }

            if (e.Sequence is { } sq)
            {
                result.Set(new DicomElement(e.Tag, new DicomSequence(sq.Items.Select(Normalized).ToList())));
                continue;
            }
            if (e.VR.IsString && e.Payload is null)
            {
                var v = e.Value.Span;
                var n = v.Length;
                while (n > 0 && (v[n - 1] == (byte)' ' || v[n - 1] == 0))
                {
                    n--;
                }

                result.Set(new DicomElement(e.Tag, e.VR, e.Value[..n]));
                continue;
            }
            result.Set(e);
        }
        return result;
    }

    /// <summary>
    /// Read by our reader but not by dcmtk 3.6.7: its data set is implicit VR under an explicit VR meta header, and
    /// dcmdump stops on it with "premature end of stream" too.
    /// </summary>
    private static readonly HashSet<string> DcmtkUnreadable = new(StringComparer.Ordinal) { "SC_rgb_jpeg.dcm" };

    private static bool HasUid(DicomDataset ds, DicomTag tag) => ds.TryGetElement(tag, out var e) && e.VR == DicomVR.UI;

    private sealed record Outcome(string Path, bool Sent, string Log);

    private static List<Outcome> Outcomes(string output)
    {
        var outcomes = new List<Outcome>();
        string? current = null;
        var log = new System.Text.StringBuilder();
        foreach (var line in output.Split('\n'))
        {
            var m = SendingFile().Match(line);
            if (m.Success || line.Contains("Releasing Association", StringComparison.Ordinal))
            {
                if (current is not null)
                {
                    outcomes.Add(new Outcome(current, false, log.ToString()));
                }

                current = m.Success ? m.Groups[1].Value.Trim() : null;
                log.Clear();
                continue;
            }
            if (current is null)
            {
                continue;
            }

            log.AppendLine(line);
            if (line.Contains("Received Store Response", StringComparison.Ordinal))
            {
                outcomes.Add(new Outcome(current, true, log.ToString()));
                current = null;
            }
        }
        if (current is not null)
        {
            outcomes.Add(new Outcome(current, false, log.ToString()));
        }

        return outcomes;
    }

    [GeneratedRegex(@"Sending file: (.+)$")]
    private static partial Regex SendingFile();
}

/// <summary>Accepts, for each proposed context, the first transfer syntax the library knows: the proposer's preference.</summary>
internal sealed class ProposerOrderPolicy : IAssociationPolicy
{
    public ValueTask<AssociationDecision> DecideAsync(AssociateRequestPdu request, System.Net.EndPoint? remoteEndPoint, CancellationToken cancellationToken)
    {
        var results = request.PresentationContexts.Select(pc =>
            pc.TransferSyntaxes.FirstOrDefault(ts => DicomTransferSyntax.Find(ts) is not null) is { } chosen
                ? new PresentationContextResult(pc.Id, PresentationContextResultReason.Acceptance, chosen)
                : new PresentationContextResult(pc.Id, PresentationContextResultReason.TransferSyntaxesNotSupported, pc.TransferSyntaxes[0])).ToList();
        return ValueTask.FromResult(AssociationDecision.Accepted(results));
    }
}

/// <summary>Keeps each data set with the association it arrived on.</summary>
internal sealed class RecordingStoreProvider : ICStoreProvider
{
    public sealed record Received(CStoreRequest Request, DicomTransferSyntax TransferSyntax, byte[] Bytes, AssociationInfo Association);

    public ConcurrentQueue<Received> Instances { get; } = new();
    public ConcurrentQueue<Exception> Failures { get; } = new();

    public async ValueTask<DimseStatus> OnCStoreAsync(CStoreRequest request, Stream dataSet, DicomTransferSyntax transferSyntax, AssociationInfo association, CancellationToken cancellationToken)
    {
        try
        {
            using var ms = new MemoryStream();
            await dataSet.CopyToAsync(ms, cancellationToken);
            Instances.Enqueue(new Received(request, transferSyntax, ms.ToArray(), association));
            return DimseStatus.Success;
        }
        catch (Exception ex)
        {
            Failures.Enqueue(ex);
            throw;
        }
    }
}
