using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Dicom.Json;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// dcmtk against a running archive (PostgreSQL + silo + gateway processes): echoscu, storescu of the test corpus,
/// findscu at every level compared with what was stored, movescu and getscu compared byte for byte with the stored
/// data sets.
/// </summary>
[Collection(ArchiveCollection.Name)]
public sealed partial class DimseEndToEndTests(ArchiveFixture archive)
{
    private static readonly string[] Broken = ["MR_truncated.dcm", "rtplan_truncated.dcm", "no_meta.dcm"];
    private static readonly SemaphoreSlim StoreOnce = new(1, 1);
    private static Corpus? _stored;

    private string Port => archive.DicomPort.ToString(CultureInfo.InvariantCulture);

    public sealed record SentInstance(string File, string PatientId, string Study, string Series, string Sop);
    public sealed record Corpus(IReadOnlyList<SentInstance> Sent, int Successes, string Output)
    {
        /// <summary>
        /// What the archive holds: one instance per SOP Instance UID, the first one sent (keep-first policy, the
        /// default: a later different copy is answered B000 and held for review, never stored over the first).
        /// </summary>
        public IReadOnlyList<SentInstance> Stored => Sent.GroupBy(s => s.Sop).Select(g => g.First()).ToList();
    }

    /// <summary>
    /// storescu proposes a compressed syntax only when told which (-xy, -xv, ...), so the corpus goes in one storescu
    /// run per proposal option, matching each file's transfer syntax; native files go with the default proposal.
    /// </summary>
    private static string ProposalOption(string transferSyntaxUid) => transferSyntaxUid switch
    {
        "1.2.840.10008.1.2.4.50" => "-xy",
        "1.2.840.10008.1.2.4.51" => "-xx",
        "1.2.840.10008.1.2.4.57" or "1.2.840.10008.1.2.4.70" => "-xs",
        "1.2.840.10008.1.2.4.80" => "-xt",
        "1.2.840.10008.1.2.4.81" => "-xu",
        "1.2.840.10008.1.2.4.90" => "-xv",
        "1.2.840.10008.1.2.4.91" => "-xw",
        "1.2.840.10008.1.2.5" => "-xr",
        _ => "-x=",
    };

    private async Task<Corpus> StoreCorpusAsync()
    {
        await StoreOnce.WaitAsync();
        try
        {
            if (_stored is not null)
            {
                return _stored;
            }

            var dir = Path.Combine(archive.RepoRoot, "tests", "Dicom.Tests", "Corpus", "test_files");
            var files = Directory.GetFiles(dir, "*.dcm").Where(f => !Broken.Contains(Path.GetFileName(f))).Order(StringComparer.Ordinal).ToList();
            var parsed = new Dictionary<string, (DicomDataset Dataset, string Syntax)>();
            foreach (var f in files)
            {
                var file = DicomFile.Open(await File.ReadAllBytesAsync(f));
                parsed[f] = (file.Dataset, file.TransferSyntax.Uid);
            }
            var sent = new List<SentInstance>();
            var successes = 0;
            var log = new System.Text.StringBuilder();
            foreach (var group in files.GroupBy(f => ProposalOption(parsed[f].Syntax)))
            {
                var (_, output) = await ChildProcess.RunAsync("storescu", ["-v", group.Key, "-nh", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", Port, .. group], 300);
                log.AppendLine(output);
                // Each "Sending file" is followed by the response to it; files storescu cannot read are skipped by it.
                string? current = null;
                foreach (var line in output.Split('\n'))
                {
                    var sending = SendingFile().Match(line);
                    if (sending.Success)
                    {
                        current = sending.Groups[1].Value.Trim();
                    }
                    else if (current is not null && line.Contains("Received Store Response", StringComparison.Ordinal))
                    {
                        var ds = parsed[current].Dataset;
                        sent.Add(new SentInstance(Path.GetFileName(current), ds.GetString(DicomTag.PatientID) ?? "", ds.GetString(DicomTag.StudyInstanceUID)!,
                            ds.GetString(DicomTag.SeriesInstanceUID)!, ds.GetString(DicomTag.SOPInstanceUID)!));
                        // A different copy of an instance already sent (several corpus files are one instance in
                        // several encodings) is a warning: B000, kept aside as a conflict (docs/conformance.md 5.2).
                        var firstCopy = sent.Count(s => s.Sop == sent[^1].Sop) == 1;
                        if (line.Contains(firstCopy ? "(Success)" : "(Warning: Coercion", StringComparison.Ordinal)
                            || (!firstCopy && line.Contains("(Success)", StringComparison.Ordinal)))
                        {
                            successes++;
                        }

                        current = null;
                    }
                    else if (line.Contains("Store Failed", StringComparison.Ordinal))
                    {
                        log.AppendLine("NOT SENT: " + current);
                    }
                }
            }
            return _stored = new Corpus(sent, successes, log.ToString());
        }
        finally
        {
            StoreOnce.Release();
        }
    }

    [GeneratedRegex(@"Sending file: (.+)$")]
    private static partial Regex SendingFile();

    [Fact]
    public async Task Store_SenderWithNaglesAlgorithmOn_IsNotHeldBackByDelayedAcknowledgements()
    {
        // storescu without TCP_NODELAY (as many senders are) holds the tail of each message until the gateway has
        // acknowledged what came before; Linux delays that acknowledgement by up to 40 ms on a connection that answers
        // every request, which made every C-STORE wait (21 tiny instances/s instead of 340). A corpus file already
        // stored, sent 60 times with each setting (duplicates: the whole funnel runs, the index does not change),
        // timed against each other so that a slow machine slows both.
        await StoreCorpusAsync();
        var file = Path.Combine(archive.RepoRoot, "tests", "Dicom.Tests", "Corpus", "test_files", "CT_small.dcm");
        string[] args = ["-v", "-nh", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", Port, .. Enumerable.Repeat(file, 60)];
        async Task<TimeSpan> StoreAsync(bool nagle)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (code, output) = await ChildProcess.RunAsync("storescu", args, 120, nagle);
            var elapsed = clock.Elapsed;
            Assert.True(code == 0, output);
            Assert.Equal(60, Regex.Count(output, "Received Store Response \\(Success\\)"));
            return elapsed;
        }

        var noDelay = await StoreAsync(nagle: false);
        var nagle = await StoreAsync(nagle: true);

        Assert.True(nagle < noDelay * 3 + TimeSpan.FromSeconds(0.5),
            $"60 stores from a sender with Nagle's algorithm on took {nagle.TotalMilliseconds:F0} ms, without it {noDelay.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Echo_OurAeTitle_Succeeds()
    {
        var (code, output) = await ChildProcess.RunAsync("echoscu", ["-v", "-aec", ArchiveFixture.AeTitle, "127.0.0.1", Port]);
        Assert.True(code == 0, output);
        Assert.Contains("Received Echo Response (Success)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Associate_UnknownCalledAeTitle_IsRejected()
    {
        var (code, output) = await ChildProcess.RunAsync("echoscu", ["-v", "-aec", "SOMEONE_ELSE", "127.0.0.1", Port]);
        Assert.NotEqual(0, code);
        Assert.Contains("Called AE Title Not Recognized", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Store_Corpus_EveryInstanceSucceeds()
    {
        var corpus = await StoreCorpusAsync();
        Assert.True(corpus.Sent.Count >= 50, $"only {corpus.Sent.Count} files sent:\n{corpus.Output}");
        Assert.DoesNotContain("NOT SENT", corpus.Output, StringComparison.Ordinal);
        Assert.True(corpus.Sent.Count == corpus.Successes, $"{corpus.Successes} of {corpus.Sent.Count} succeeded:\n{corpus.Output}\n--- gateway ---\n{archive.GatewayLog}");
    }

    private async Task<List<DicomDataset>> FindAsync(string root, params string[] keys)
    {
        var dir = Directory.CreateTempSubdirectory("pacs-find-").FullName;
        try
        {
            var args = new List<string> { root, "-X", "-od", dir, "-aec", ArchiveFixture.AeTitle, "127.0.0.1", Port };
            foreach (var k in keys) { args.Add("-k"); args.Add(k); }
            var (code, output) = await ChildProcess.RunAsync("findscu", args);
            Assert.True(code == 0, output);
            var list = new List<DicomDataset>();
            foreach (var f in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            {
                list.Add(DicomFile.Open(await File.ReadAllBytesAsync(f)).Dataset);
            }

            return list;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Find_PatientLevel_ReturnsEveryStoredPatient()
    {
        var stored = (await StoreCorpusAsync()).Stored;
        var responses = await FindAsync("-P", "QueryRetrieveLevel=PATIENT", "PatientID", "PatientName", "NumberOfPatientRelatedInstances");
        var expected = stored.GroupBy(s => s.PatientId).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), responses.Select(r => r.GetString(DicomTag.PatientID) ?? "").Order(StringComparer.Ordinal));
        foreach (var r in responses)
        {
            Assert.Equal("PATIENT", r.GetString(DicomTag.QueryRetrieveLevel));
            Assert.Equal(expected[r.GetString(DicomTag.PatientID) ?? ""], int.Parse(r.GetString(DicomTag.NumberOfPatientRelatedInstances)!, CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task Find_StudyLevel_ReturnsEveryStoredStudyWithCounts()
    {
        var stored = (await StoreCorpusAsync()).Stored;
        var responses = await FindAsync("-S", "QueryRetrieveLevel=STUDY", "StudyInstanceUID", "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances", "ModalitiesInStudy");
        var expected = stored.GroupBy(s => s.Study).ToDictionary(g => g.Key, g => (Series: g.Select(s => s.Series).Distinct().Count(), Instances: g.Count()));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), responses.Select(r => r.GetString(DicomTag.StudyInstanceUID)!).Order(StringComparer.Ordinal));
        foreach (var r in responses)
        {
            var e = expected[r.GetString(DicomTag.StudyInstanceUID)!];
            Assert.Equal(e.Series, int.Parse(r.GetString(DicomTag.NumberOfStudyRelatedSeries)!, CultureInfo.InvariantCulture));
            Assert.Equal(e.Instances, int.Parse(r.GetString(DicomTag.NumberOfStudyRelatedInstances)!, CultureInfo.InvariantCulture));
            Assert.Equal(ArchiveFixture.AeTitle, r.GetString(DicomTag.RetrieveAETitle));
        }
    }

    [Fact]
    public async Task Find_SeriesAndImageLevel_ReturnEveryStoredSeriesAndInstance()
    {
        var stored = (await StoreCorpusAsync()).Stored;
        foreach (var study in stored.GroupBy(s => s.Study))
        {
            var series = await FindAsync("-S", "QueryRetrieveLevel=SERIES", $"StudyInstanceUID={study.Key}", "SeriesInstanceUID", "NumberOfSeriesRelatedInstances");
            var expectedSeries = study.GroupBy(s => s.Series).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(expectedSeries.Keys.Order(StringComparer.Ordinal), series.Select(r => r.GetString(DicomTag.SeriesInstanceUID)!).Order(StringComparer.Ordinal));
            foreach (var r in series)
            {
                Assert.Equal(expectedSeries[r.GetString(DicomTag.SeriesInstanceUID)!], int.Parse(r.GetString(DicomTag.NumberOfSeriesRelatedInstances)!, CultureInfo.InvariantCulture));
            }

            foreach (var s in study.GroupBy(s => s.Series))
            {
                var images = await FindAsync("-S", "QueryRetrieveLevel=IMAGE", $"StudyInstanceUID={study.Key}", $"SeriesInstanceUID={s.Key}", "SOPInstanceUID", "SOPClassUID");
                Assert.Equal(s.Select(i => i.Sop).Order(StringComparer.Ordinal), images.Select(r => r.GetString(DicomTag.SOPInstanceUID)!).Order(StringComparer.Ordinal));
            }
        }
    }

    /// <summary>The data set bytes of a Part 10 file (after the File Meta Information, PS3.10 7.1).</summary>
    private static byte[] DataSetOf(byte[] part10)
    {
        var offset = 144 + (int)BinaryPrimitives.ReadUInt32LittleEndian(part10.AsSpan(140));
        return part10[offset..];
    }

    private async Task<Dictionary<string, (string Syntax, byte[] DataSet)>> StoredBlobsAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(archive.Database);
        await using var command = dataSource.CreateCommand("select sop_instance_uid, blob_key, transfer_syntax_uid from pacs_instances");
        await using var reader = await command.ExecuteReaderAsync();
        var blobs = new Dictionary<string, (string, byte[])>();
        while (await reader.ReadAsync())
        {
            blobs[reader.GetString(0)] = (reader.GetString(2), await File.ReadAllBytesAsync(Path.Combine(archive.StorageRoot, reader.GetString(1))));
        }

        return blobs;
    }

    private static async Task<Dictionary<string, (string Syntax, byte[] DataSet, DicomDataset Parsed)>> ReceivedAsync(string directory)
    {
        var received = new Dictionary<string, (string, byte[], DicomDataset)>();
        foreach (var f in Directory.GetFiles(directory))
        {
            var bytes = await File.ReadAllBytesAsync(f);
            var file = DicomFile.Open(bytes);
            received[file.Dataset.GetString(DicomTag.SOPInstanceUID)!] = (file.TransferSyntax.Uid, DataSetOf(bytes), file.Dataset);
        }
        return received;
    }

    [Fact]
    public async Task Move_EveryStudyToStorescp_DataSetsArriveByteIdentical()
    {
        var stored = (await StoreCorpusAsync()).Stored;
        foreach (var f in Directory.GetFiles(archive.MoveDestinationDirectory))
        {
            File.Delete(f);
        }

        foreach (var study in stored.GroupBy(s => s.Study))
        {
            var (code, output) = await ChildProcess.RunAsync("movescu", ["-v", "-S", "-aec", ArchiveFixture.AeTitle, "-aem", ArchiveFixture.DestinationAe,
                "127.0.0.1", Port, "-k", "QueryRetrieveLevel=STUDY", "-k", $"StudyInstanceUID={study.Key}"], 120);
            Assert.True(code == 0, output);
            Assert.Contains("Received Final Move Response (Success)", output, StringComparison.Ordinal);
        }
        var received = await ReceivedAsync(archive.MoveDestinationDirectory);
        var blobs = await StoredBlobsAsync();
        Assert.Equal(stored.Select(s => s.Sop).Order(StringComparer.Ordinal), received.Keys.Order(StringComparer.Ordinal));
        AssertSameBytes(stored, blobs, received);
    }

    /// <summary>
    /// Every instance travels in its stored transfer syntax (the SCU proposes it in a context of its own) and arrives
    /// with exactly the stored data set bytes.
    /// </summary>
    private static void AssertSameBytes(IReadOnlyList<SentInstance> stored, Dictionary<string, (string Syntax, byte[] DataSet)> blobs, Dictionary<string, (string Syntax, byte[] DataSet, DicomDataset Parsed)> received)
    {
        var differences = new List<string>();
        foreach (var (sop, got) in received)
        {
            var (syntax, blob) = blobs[sop];
            var file = stored.First(s => s.Sop == sop).File;
            if (got.Syntax != syntax)
            {
                differences.Add($"{file}: stored as {syntax}, received as {got.Syntax}");
            }
            else if (!blob.AsSpan().SequenceEqual(got.DataSet))
            {
                differences.Add($"{file}: stored {blob.Length} bytes, received {got.DataSet.Length}, first difference at {blob.AsSpan().CommonPrefixLength(got.DataSet)}");
            }
        }
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public async Task Move_UnknownDestination_FailsWithA801()
    {
        var stored = (await StoreCorpusAsync()).Stored;
        var (_, output) = await ChildProcess.RunAsync("movescu", ["-v", "-S", "-aec", ArchiveFixture.AeTitle, "-aem", "NOWHERE",
            "127.0.0.1", Port, "-k", "QueryRetrieveLevel=STUDY", "-k", $"StudyInstanceUID={stored[0].Study}"]);
        Assert.True(output.Contains("a801", StringComparison.OrdinalIgnoreCase) || output.Contains("MoveDestinationUnknown", StringComparison.OrdinalIgnoreCase), output);
    }

    [Fact]
    public async Task Get_ExplicitLittleEndianStudy_DataSetsArriveByteIdentical()
    {
        var stored = (await StoreCorpusAsync()).Stored;
        var ct = stored.Single(s => s.File == "CT_small.dcm");
        var dir = Directory.CreateTempSubdirectory("pacs-get-").FullName;
        try
        {
            var (code, output) = await ChildProcess.RunAsync("getscu", ["-v", "-S", "+B", "-aec", ArchiveFixture.AeTitle, "-od", dir,
                "127.0.0.1", Port, "-k", "QueryRetrieveLevel=SERIES", "-k", $"StudyInstanceUID={ct.Study}", "-k", $"SeriesInstanceUID={ct.Series}"], 120);
            Assert.True(code == 0, output);
            var received = await ReceivedAsync(dir);
            var blobs = await StoredBlobsAsync();
            Assert.Equal(stored.Where(s => s.Series == ct.Series).Select(s => s.Sop).Order(StringComparer.Ordinal), received.Keys.Order(StringComparer.Ordinal));
            AssertSameBytes(stored, blobs, received);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
