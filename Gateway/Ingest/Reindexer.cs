using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Gateway.Cluster;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.Storage;
using Pacs.Grains;
using Pacs.Index;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// Rebuilds the index from the blob store alone (issue 16, <c>./pacs reindex</c>). Each blob's header is read (up to
/// Pixel Data, with the reader and options of the ingest funnel), the Pixel Data element's extent checked against the
/// blob's end by seeking (<see cref="PixelDataLocator.ReadElementAsync(Stream, DicomTransferSyntax, long, DicomDataset, CancellationToken)"/>) and against the header's image
/// (<see cref="PixelDataConsistency"/>), and turned into the same <see cref="InstanceRecord"/> the funnel builds
/// (<see cref="IngestService.BuildRecord(DicomDataset, string, string, string, string, DicomTransferSyntax, string, long, byte[], string)"/>)
/// with the SHA-256 the funnel recorded with the blob (<see cref="FileBlobStore.ReadContentHash"/>). A blob without a
/// recorded hash (older, or copied without its extended attributes), a deflated one, one whose header does not parse,
/// and every blob when <c>verify</c> is asked, is read whole and hashed instead (and with <c>verify</c>, a hash that
/// differs from the recorded one is reported). Records are committed through the study grain, whose batch write
/// (derived study and series attributes, patient rows, access groups) is the one every stored instance goes through:
/// a study folder's blobs in chunks, each chunk in one grain call (<see cref="IStudyGrain.CommitManyAsync"/>), which the grain writes in one transaction; the next chunk's
/// headers are read while one is committed. The blob holds the bare data set: its
/// transfer syntax is recovered from its bytes (<see cref="TransferSyntaxProbe"/>). Resumable: each study folder
/// finished is appended to <c>.reindex/studies-done</c> under the storage root, and a rerun skips those folders.
/// Nothing is ever deleted: a blob that is not indexed (corrupt, truncated, named against its header) is listed with
/// its reason. One run at a time per gateway; run it on one gateway only.
/// </summary>
internal sealed partial class Reindexer(
    FileBlobStore blobs,
    IGrainFactory grains,
    GrainCalls calls,
    AccessGroupRules accessGroups,
    IHostApplicationLifetime lifetime,
    ILogger<Reindexer> logger)
{
    /// <summary>How many refused blobs the progress lists (all are in <c>.reindex/refused</c>).</summary>
    internal const int MaxListed = 100;

    /// <summary>Under the storage root; a folder starting with '.' is never a blob folder (<see cref="FileBlobStore.TopFolders"/>).</summary>
    internal const string CheckpointFolder = ".reindex";

    /// <summary>The source recorded for rebuilt instances (and the one access-group rules see: no calling AE title).</summary>
    private const string Source = "reindex";

    // Blobs of one study folder read, then committed, together: bounds the records held in memory (each holds its
    // header as DICOM JSON) while letting the study grain batch a whole chunk (Pacs:Archive:MaxBatchSize, 500).
    private const int ChunkSize = 256;

    // Headers read at once within a study folder; folders at once is the caller's parallelism.
    private const int ReadersPerFolder = 4;

    // Bytes asked of a blob at a time while its header is read.
    private const int HeaderReadSize = 16 * 1024;

    private readonly Lock _lock = new();
    private readonly List<RefusedBlob> _listed = [];
    private readonly BackgroundJob _job = new("Reindex",
        "run reindex again to resume.", lifetime, logger);
    private long _total, _skipped, _done, _indexed, _already, _kept, _refused, _headerOnly;
    // Stopwatch ticks spent, summed over what ran at once: reading blobs (open, hash attribute, header, Pixel Data
    // extent), building records (of that, the header as DICOM JSON), grain commits.
    private long _readTicks, _recordTicks, _commitTicks;
    private int _folders, _foldersDone;

    /// <summary>The running (or last) rebuild; completes when it ends.</summary>
    internal Task Completion => _job.Completion;

    /// <summary>
    /// Starts a rebuild unless one is running: from the checkpoint, or from the start when <paramref name="restart"/>;
    /// <paramref name="parallelism"/> study folders at once; every blob read whole and hashed when <paramref name="verify"/>.
    /// </summary>
    public bool TryStart(bool restart, int parallelism, bool verify = false) =>
        _job.TryStart(
            () =>
            {
                lock (_lock)
                {
                    _listed.Clear();
                    _total = _skipped = _done = _indexed = _already = _kept = _refused = _headerOnly = 0;
                    _readTicks = _recordTicks = _commitTicks = 0;
                    _folders = _foldersDone = 0;
                }
            },
            token => RunAsync(restart, Math.Clamp(parallelism, 1, 64), verify, token),
            e => e is IOException or UnauthorizedAccessException or NpgsqlException or TimeoutException
                or ArchiveIndexException or InvalidOperationException or OrleansException);

    public ReindexProgress Progress()
    {
        var done = Interlocked.Read(ref _done);
        var status = _job.Status(done, Interlocked.Read(ref _total) - Interlocked.Read(ref _skipped) - done);
        lock (_lock)
        {
            return new ReindexProgress(status.State, Interlocked.Read(ref _total), Interlocked.Read(ref _skipped), done, Interlocked.Read(ref _indexed),
                Interlocked.Read(ref _already), Interlocked.Read(ref _kept), Interlocked.Read(ref _refused), Volatile.Read(ref _folders),
                Volatile.Read(ref _foldersDone), status.ElapsedSeconds, status.InstancesPerSecond, status.EtaSeconds, status.StartedAt,
                status.Error, [.. _listed])
            {
                HeaderOnly = Interlocked.Read(ref _headerOnly),
                Stages = new ReindexStages(
                    Seconds(Interlocked.Read(ref _readTicks) - Interlocked.Read(ref _recordTicks)),
                    Seconds(Interlocked.Read(ref _recordTicks)),
                    Seconds(Interlocked.Read(ref _commitTicks))),
            };
        }
    }

    private static double Seconds(long ticks) => Math.Round((double)ticks / Stopwatch.Frequency, 2);

    private async Task RunAsync(bool restart, int parallelism, bool verify, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(blobs.Root, CheckpointFolder);
        Directory.CreateDirectory(folder);
        var donePath = Path.Combine(folder, "studies-done");
        var refusedPath = Path.Combine(folder, "refused");
        if (restart)
        {
            File.Delete(donePath);
            File.Delete(refusedPath);
        }

        var finished = File.Exists(donePath)
            ? new HashSet<string>(await File.ReadAllLinesAsync(donePath, cancellationToken).ConfigureAwait(false), StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
        if (File.Exists(refusedPath))
        {
            // Refused in folders a previous run finished: still refused, listed again.
            foreach (var line in await File.ReadAllLinesAsync(refusedPath, cancellationToken).ConfigureAwait(false))
            {
                var tab = line.IndexOf('\t', StringComparison.Ordinal);
                if (tab > 0 && finished.Contains(line[..line.IndexOf('/', StringComparison.Ordinal)]))
                {
                    Refuse(new RefusedBlob(line[..tab], line[(tab + 1)..]));
                }
            }
        }

        var work = new List<string>();
        foreach (var study in blobs.TopFolders())
        {
            var count = blobs.BlobsUnder(study).LongCount();
            Interlocked.Add(ref _total, count);
            Interlocked.Increment(ref _folders);
            if (finished.Contains(study))
            {
                Interlocked.Add(ref _skipped, count);
                Interlocked.Increment(ref _foldersDone);
            }
            else
            {
                work.Add(study);
            }
        }

        LogStarted(logger, _total, _skipped, work.Count);
        var writeLock = new Lock();
        await using var checkpoint = new StreamWriter(new FileStream(donePath, FileMode.Append, FileAccess.Write, FileShare.Read));
        await using var refusedLog = new StreamWriter(new FileStream(refusedPath, FileMode.Append, FileAccess.Write, FileShare.Read));
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (study, token) =>
            {
                var refused = await ReindexStudyFolderAsync(study, verify, token).ConfigureAwait(false);
                lock (writeLock)
                {
                    foreach (var r in refused)
                    {
                        refusedLog.WriteLine($"{r.Key}\t{r.Reason}");
                    }

                    refusedLog.Flush();
                    // Only once every blob of the folder is decided (indexed or refused): a rerun skips it.
                    checkpoint.WriteLine(study);
                    checkpoint.Flush();
                }

                Interlocked.Increment(ref _foldersDone);
            }).ConfigureAwait(false);
        LogFinished(logger, _done, _indexed, _already, _refused, _job.ElapsedSeconds);
    }

    /// <summary>
    /// One study folder, in chunks of blobs in the order they were written: a replacement or a held conflict is a later
    /// blob of the same instance, and the duplicate policy then decides as it did at ingest. The next chunk's headers
    /// are read while the chunk before is committed; commits stay in order (one at a time per folder).
    /// </summary>
    private async Task<List<RefusedBlob>> ReindexStudyFolderAsync(string study, bool verify, CancellationToken cancellationToken)
    {
        var refused = new List<RefusedBlob>();
        var ordered = blobs.BlobsUnder(study).OrderBy(b => b.LastWriteTimeUtc).ThenBy(b => b.Key, StringComparer.Ordinal).Select(b => b.Key).ToList();
        Task<List<RefusedBlob>>? committing = null;
        try
        {
            foreach (var chunk in ordered.Chunk(ChunkSize))
            {
                var reads = new BlobRead[chunk.Length];
                await Parallel.ForEachAsync(Enumerable.Range(0, chunk.Length),
                    new ParallelOptions { MaxDegreeOfParallelism = ReadersPerFolder, CancellationToken = cancellationToken },
                    async (i, token) =>
                    {
                        var started = Stopwatch.GetTimestamp();
                        reads[i] = await ReadAsync(chunk[i], verify, token).ConfigureAwait(false);
                        Interlocked.Add(ref _readTicks, Stopwatch.GetTimestamp() - started);
                    }).ConfigureAwait(false);

                var records = new List<InstanceRecord>(chunk.Length);
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (reads[i].Problem is { } problem)
                    {
                        LogRefused(logger, chunk[i], problem);
                        refused.Add(Refuse(new RefusedBlob(chunk[i], problem)));
                        Interlocked.Increment(ref _done);
                    }
                    else
                    {
                        records.Add(reads[i].Record!);
                    }
                }

                if (committing is not null)
                {
                    refused.AddRange(await committing.ConfigureAwait(false));
                }

                committing = CommitAsync(records, cancellationToken);
            }

            if (committing is not null)
            {
                refused.AddRange(await committing.ConfigureAwait(false));
            }
        }
        finally
        {
            if (committing is { IsCompleted: false })
            {
                // Reading the next chunk failed: the commit in flight ends before the job does.
                await Task.WhenAny(committing).ConfigureAwait(false);
            }
        }

        return refused;
    }

    /// <summary>
    /// Commits a chunk's records through their study grain, the records of each study in one call
    /// (<see cref="IStudyGrain.CommitManyAsync"/>: copies of one SOP Instance decided in their order, the rest in the
    /// grain's batch transactions). The blobs were in the store before: they need no intent or marker, and nothing here
    /// deletes one, whatever the index answers.
    /// </summary>
    private async Task<List<RefusedBlob>> CommitAsync(List<InstanceRecord> records, CancellationToken cancellationToken)
    {
        var refused = new List<RefusedBlob>();
        foreach (var study in records.GroupBy(r => r.StudyInstanceUid, StringComparer.Ordinal))
        {
            var batch = study.ToList();
            var grain = grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study.Key));
            var started = Stopwatch.GetTimestamp();
            var results = await calls.RunAsync("CommitMany", token => grain.CommitManyAsync(batch, token), cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _commitTicks, Stopwatch.GetTimestamp() - started);
            for (var i = 0; i < batch.Count; i++)
            {
                var result = results[i];
                if (result.Outcome == CommitOutcome.Sha256Needed)
                {
                    // The stored copy was indexed before BLAKE3 (a rebuild over a live index): the one-by-one path hashes the blob.
                    result = await CommitOneAsync(batch[i], cancellationToken).ConfigureAwait(false);
                }

                if (Decide(batch[i], result) is { } refusal)
                {
                    refused.Add(refusal);
                }

                Interlocked.Increment(ref _done);
            }
        }

        return refused;
    }

    /// <summary>The study grain's answer for one record (<see cref="ContentHash.CommitAsync"/>), a refusal by the index as <see cref="CommitOutcome.Failed"/>.</summary>
    private async Task<CommitResult> CommitOneAsync(InstanceRecord record, CancellationToken cancellationToken)
    {
        try
        {
            var grain = grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(record.StudyInstanceUid));
            return await ContentHash.CommitAsync(calls, grain, record, blobs, cancellationToken).ConfigureAwait(false);
        }
        catch (ArchiveIndexException e)
        {
            return new CommitResult(CommitOutcome.Failed) { Error = e.Message };
        }
    }

    /// <summary>Why the index refused the blob, or null when it took it, had it already or kept it aside. Throws when the database failed.</summary>
    private RefusedBlob? Decide(InstanceRecord record, CommitResult commit)
    {
        switch (commit.Outcome)
        {
            case CommitOutcome.Stored:
            case CommitOutcome.Replaced:
                // Replaced: an earlier blob of the instance; it became a 'replaced' copy (Pacs:ReplacedRetention).
                Interlocked.Increment(ref _indexed);
                return null;
            case CommitOutcome.Duplicate:
                Interlocked.Increment(ref _already);
                return null;
            case CommitOutcome.Conflict:
                // Kept aside as a 'conflict' copy, or already kept aside before.
                Interlocked.Increment(ref _kept);
                return null;
            case CommitOutcome.Failed when commit.Error is { } error && !error.StartsWith("Index ", StringComparison.Ordinal):
                // Refused by the index (e.g. this SOP Instance UID is indexed under another study), not unavailable.
                return Refuse(new RefusedBlob(record.BlobKey, error));
            case CommitOutcome.Failed:
                // The index is unavailable or its write failed: the run stops, a rerun resumes (the folder is not checkpointed).
                throw new ArchiveIndexException(commit.Error ?? "Index write failed");
            default:
                return Refuse(new RefusedBlob(record.BlobKey, "A different instance with this SOP Instance UID is indexed (duplicate policy Reject)."));
        }
    }

    private RefusedBlob Refuse(RefusedBlob refused)
    {
        Interlocked.Increment(ref _refused);
        lock (_lock)
        {
            if (_listed.Count < MaxListed)
            {
                _listed.Add(refused);
            }
        }

        return refused;
    }

    private readonly record struct BlobRead(InstanceRecord? Record, string? Problem);

    /// <summary>
    /// Reads the blob as the funnel read its upload: its encoding guessed from the first element, Deflated Explicit VR
    /// Little Endian when that does not parse (PS3.5 A.5), the codec of encapsulated Pixel Data from its first fragment.
    /// The header alone when the blob's hash was recorded (and <paramref name="verify"/> is not asked); whole otherwise,
    /// and whenever the header alone cannot decide.
    /// </summary>
    private async Task<BlobRead> ReadAsync(string key, bool verify, CancellationToken cancellationToken)
    {
        var recorded = blobs.ReadContentHash(key);
        DicomTransferSyntax guessed;
        await using (var source = blobs.OpenForSmallReads(key))
        {
            var bytes = new byte[16];
            var n = await source.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (n < 8)
            {
                return new BlobRead(null, "Too short to be a data set");
            }

            guessed = TransferSyntaxProbe.FromDatasetHead(bytes.AsSpan(0, n));
            if (recorded is not null && !verify)
            {
                source.Position = 0;
                if (await ReadHeaderOnlyAsync(key, source, guessed, recorded, cancellationToken).ConfigureAwait(false) is { } read)
                {
                    Interlocked.Increment(ref _headerOnly);
                    return read;
                }
            }
        }

        var first = await ParseAsync(key, guessed, cancellationToken).ConfigureAwait(false);
        if (first.Problem is not null && first.Record is null && guessed == DicomTransferSyntax.ImplicitVRLittleEndian)
        {
            var deflated = await ParseAsync(key, DicomTransferSyntax.DeflatedExplicitVRLittleEndian, cancellationToken).ConfigureAwait(false);
            if (deflated.Problem is null)
            {
                first = deflated;
            }
        }

        if (first.Record is { } record && recorded is not null && !record.ContentHash.AsSpan().SequenceEqual(recorded))
        {
            // Write-once bytes that no longer hash to what the funnel recorded: damaged on disk since.
            return new BlobRead(null, "The blob's bytes differ from the content hash recorded when it was written");
        }

        return first;
    }

    /// <summary>
    /// The header alone (up to Pixel Data), the Pixel Data element's extent checked against the blob's end by seeking
    /// (its element header and item headers, never its value). Null when this cannot decide (the header does not parse
    /// in the guessed encoding or lacks valid UIDs, Float Pixel Data): the caller reads the blob whole, which finds the reason.
    /// </summary>
    private async Task<BlobRead?> ReadHeaderOnlyAsync(string key, Stream source, DicomTransferSyntax syntax, byte[] sha256, CancellationToken cancellationToken)
    {
        DicomReadResult header;
        try
        {
            // 16 KiB at a time: a CT's header is a few KiB, its blob half a MiB.
            await using var reader = new DicomStreamReader(source, syntax, IngestService.HeaderOptions, bufferSize: HeaderReadSize);
            header = await reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DicomFormatException)
        {
            return null;
        }

        var dataset = header.Dataset;
        if (Identify(dataset, key).Problem is not null)
        {
            // Perhaps not this encoding at all (a deflated data set read as Implicit VR): the whole read decides.
            return null;
        }

        var pixelData = new DicomDataset { InheritedCharacterSet = dataset.CharacterSet };
        if (header.StoppedAtPixelData)
        {
            PixelDataLayout? layout;
            try
            {
                layout = await PixelDataLocator.ReadElementAsync(source, syntax, header.EndOffset, dataset, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DicomFormatException or EndOfStreamException)
            {
                return new BlobRead(null, DimseStatusComment(e.Message));
            }

            if (layout is null)
            {
                return null;
            }

            if (layout.Truncated)
            {
                return new BlobRead(null, "Pixel Data runs past the end of the blob (truncated)");
            }

            pixelData.Set(layout.ItemSequence
                ? new DicomElement(DicomTag.PixelData, layout.VR, new DicomFragments(ReadOnlyMemory<byte>.Empty,
                    [.. layout.Fragments.Select(f => new DicomFragment(ReadOnlyMemory<byte>.Empty, new BulkDataReference(f.Offset, f.Length)))]))
                : new DicomElement(DicomTag.PixelData, layout.VR, new BulkDataReference(layout.Value.Offset, layout.Value.Length)));
        }

        return await RecordAsync(key, dataset, pixelData, syntax, source.Length, sha256, cancellationToken).ConfigureAwait(false);
    }

    private async Task<BlobRead> ParseAsync(string key, DicomTransferSyntax syntax, CancellationToken cancellationToken)
    {
        await using var source = await blobs.OpenReadAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);
        using var hash = new ContentHash();
        var tee = new TeeStream(source, Stream.Null, hash);
        DicomReadResult header;
        DicomDataset pixelData;
        try
        {
            await using var reader = new DicomStreamReader(tee, syntax, IngestService.HeaderOptions);
            header = await reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
            pixelData = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await tee.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DicomFormatException e)
        {
            return new BlobRead(null, DimseStatusComment(e.Message));
        }

        return await RecordAsync(key, header.Dataset, pixelData, syntax, tee.BytesRead, hash.Finish(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The identifying UIDs valid (PS3.5 9.1) and the blob named after them, or the problem.</summary>
    private static (string Study, string Series, string Sop, string SopClass, string? Problem) Identify(DicomDataset dataset, string key)
    {
        string Uid(DicomTag tag) => dataset.GetString(tag) ?? "";
        var (study, series, sop, sopClass) = (Uid(DicomTag.StudyInstanceUID), Uid(DicomTag.SeriesInstanceUID), Uid(DicomTag.SOPInstanceUID), Uid(DicomTag.SOPClassUID));
        foreach (var (name, value) in new[] { ("Study Instance UID", study), ("Series Instance UID", series), ("SOP Instance UID", sop), ("SOP Class UID", sopClass) })
        {
            if (!DicomUids.IsValid(value))
            {
                return (study, series, sop, sopClass, value.Length == 0 ? $"{name} missing" : $"{name} is not a valid UID");
            }
        }

        // The funnel names a blob STUDY/SERIES/SOP.RANDOM.dcm: a name that disagrees with the header is not trusted.
        return key.StartsWith($"{study}/{series}/{sop}.", StringComparison.Ordinal)
            ? (study, series, sop, sopClass, null)
            : (study, series, sop, sopClass, "The blob's name does not match its header's UIDs");
    }

    /// <summary>
    /// The record of a blob whose header and Pixel Data element (<paramref name="pixelData"/>: values as blob ranges)
    /// were read: the codec of encapsulated Pixel Data recognised from its first fragment, the Pixel Data checked
    /// against the image the header describes, the rest as the funnel builds it.
    /// </summary>
    private async Task<BlobRead> RecordAsync(string key, DicomDataset dataset, DicomDataset pixelData, DicomTransferSyntax syntax, long size, byte[] sha256,
        CancellationToken cancellationToken)
    {
        var (study, series, sop, sopClass, invalid) = Identify(dataset, key);
        if (invalid is not null)
        {
            return new BlobRead(null, invalid);
        }

        if (pixelData.TryGetElement(DicomTag.PixelData, out var pixels) && pixels.Fragments is { Items.Count: > 0 } fragments && !syntax.IsEncapsulated)
        {
            var codestream = await FirstBytesAsync(key, fragments.Items[0], cancellationToken).ConfigureAwait(false);
            if (TransferSyntaxProbe.FromCodestream(codestream.Span) is not { } codec)
            {
                return new BlobRead(null, "Encapsulated Pixel Data of an unrecognised codec");
            }

            syntax = codec;
        }

        if (PixelDataConsistency.FindProblem(dataset, pixelData, syntax) is { } problem)
        {
            return new BlobRead(null, problem);
        }

        var started = Stopwatch.GetTimestamp();
        var record = IngestService.BuildRecord(dataset, study, series, sop, sopClass, syntax, key, size, sha256, Source) with
        {
            AccessGroups = accessGroups.For(Source, dataset),
        };
        Interlocked.Add(ref _recordTicks, Stopwatch.GetTimestamp() - started);
        return new BlobRead(record, null);
    }

    private async Task<ReadOnlyMemory<byte>> FirstBytesAsync(string key, DicomFragment fragment, CancellationToken cancellationToken)
    {
        if (fragment.Bulk is not { } bulk)
        {
            return fragment.Data[..Math.Min(fragment.Data.Length, 4096)];
        }

        var length = (int)Math.Min(bulk.Length, 4096);
        var bytes = new byte[length];
        await using var stream = await blobs.OpenReadAsync(key, bulk.Offset, length, cancellationToken).ConfigureAwait(false);
        var n = await stream.ReadAtLeastAsync(bytes, length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return bytes.AsMemory(0, n);
    }

    private static string DimseStatusComment(string message) => Pacs.Dicom.Network.Dimse.DimseStatus.TruncateErrorComment(message);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Reindex: {Total} blob(s), {Skipped} in finished study folders, {Folders} study folder(s) to do")]
    private static partial void LogStarted(ILogger logger, long total, long skipped, int folders);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Reindex done: {Done} blob(s) read, {Indexed} indexed, {Already} already indexed, {Refused} refused, in {Seconds:F1} s")]
    private static partial void LogFinished(ILogger logger, long done, long indexed, long already, long refused, double seconds);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Reindex: blob {BlobKey} not indexed: {Reason}")]
    private static partial void LogRefused(ILogger logger, string blobKey, string reason);
}
