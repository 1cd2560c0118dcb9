using System.Diagnostics;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Gateway.Cluster;
using Pacs.Gateway.Storage;
using Pacs.Grains;
using Pacs.Index;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// Rebuilds the index from the blob store alone (issue 16, <c>./pacs reindex</c>): every blob is read to its end
/// (hashed, its header parsed, its Pixel Data checked against the header), turned into the same
/// <see cref="InstanceRecord"/> the ingest funnel builds (<see cref="IngestService.BuildRecord(DicomDataset, string, string, string, string, DicomTransferSyntax, string, long, byte[], string)"/>)
/// and committed through its study grain, whose batch write (derived study and series attributes, patient rows,
/// access groups) is the one every stored instance goes through. The blob holds the bare data set: its transfer
/// syntax is recovered from its bytes (<see cref="TransferSyntaxProbe"/>). Resumable: each study folder finished is
/// appended to <c>.reindex/studies-done</c> under the storage root, and a rerun skips those folders. Nothing is ever
/// deleted: a blob that is not indexed (corrupt, truncated, named against its header) is listed with its reason.
/// One run at a time per gateway; run it on one gateway only.
/// </summary>
internal sealed partial class Reindexer(
    FileBlobStore blobs,
    BlobIntents intents,
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

    // Instances of one study committed at once: the grain batches them into few transactions.
    private const int PerStudy = 16;

    private readonly Lock _lock = new();
    private readonly List<RefusedBlob> _listed = [];
    private Task _run = Task.CompletedTask;
    private string _state = "idle";
    private string? _error;
    private DateTimeOffset? _startedAt;
    private readonly Stopwatch _clock = new();
    private long _total, _skipped, _done, _indexed, _already, _kept, _refused;
    private int _folders, _foldersDone;

    /// <summary>The running (or last) rebuild; completes when it ends.</summary>
    internal Task Completion => _run;

    /// <summary>Starts a rebuild unless one is running: from the checkpoint, or from the start when <paramref name="restart"/>.</summary>
    public bool TryStart(bool restart, int parallelism)
    {
        lock (_lock)
        {
            if (!_run.IsCompleted)
            {
                return false;
            }

            _listed.Clear();
            _state = "running";
            _error = null;
            _startedAt = DateTimeOffset.UtcNow;
            _total = _skipped = _done = _indexed = _already = _kept = _refused = 0;
            _folders = _foldersDone = 0;
            _clock.Restart();
            var stopping = lifetime.ApplicationStopping;
            _run = Task.Run(() => RunAsync(restart, Math.Clamp(parallelism, 1, 64), stopping), CancellationToken.None);
            return true;
        }
    }

    public ReindexProgress Progress()
    {
        lock (_lock)
        {
            var elapsed = _clock.Elapsed.TotalSeconds;
            var done = Interlocked.Read(ref _done);
            var rate = elapsed > 0 ? done / elapsed : 0;
            var left = Interlocked.Read(ref _total) - Interlocked.Read(ref _skipped) - done;
            return new ReindexProgress(_state, _total, _skipped, done, Interlocked.Read(ref _indexed), Interlocked.Read(ref _already),
                Interlocked.Read(ref _kept), Interlocked.Read(ref _refused), _folders, Volatile.Read(ref _foldersDone),
                Math.Round(elapsed, 1), Math.Round(rate, 1), rate > 0 && _state == "running" ? Math.Round(left / rate, 0) : null,
                _startedAt, _error, [.. _listed]);
        }
    }

    private async Task RunAsync(bool restart, int parallelism, CancellationToken cancellationToken)
    {
        try
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
                _total += count;
                _folders++;
                if (finished.Contains(study))
                {
                    _skipped += count;
                    _foldersDone++;
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
                    var refused = await ReindexStudyFolderAsync(study, token).ConfigureAwait(false);
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
            Finish("done", null);
            LogFinished(logger, _done, _indexed, _already, _refused, _clock.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            Finish("stopped", "The gateway is stopping; run reindex again to resume.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NpgsqlException or TimeoutException
            or ArchiveIndexException or InvalidOperationException or OrleansException)
        {
            LogFailed(logger, e);
            Finish("failed", $"{e.Message} Run reindex again to resume (within the reconciler's grace period, Pacs:Reconciler:GracePeriod).");
        }
        finally
        {
            if (_state == "running")
            {
                // An exception none of the above expected: the task faults, and the progress says so.
                Finish("failed", "Reindex stopped by an unexpected error (see the gateway's log). Run reindex again to resume.");
            }
        }
    }

    private void Finish(string state, string? error)
    {
        lock (_lock)
        {
            _clock.Stop();
            _state = state;
            _error = error;
        }
    }

    /// <summary>
    /// One study folder: each SOP Instance's blobs in the order they were written (a replacement or a held conflict is
    /// a later blob of the same instance, and the duplicate policy then decides as it did at ingest); different
    /// instances concurrently, so that the study grain commits them in batches.
    /// </summary>
    private async Task<List<RefusedBlob>> ReindexStudyFolderAsync(string study, CancellationToken cancellationToken)
    {
        var refused = new List<RefusedBlob>();
        var instances = blobs.BlobsUnder(study)
            .OrderBy(b => b.LastWriteTimeUtc)
            .GroupBy(b => SopOf(b.Key), StringComparer.Ordinal)
            .ToList();
        await Parallel.ForEachAsync(instances, new ParallelOptions { MaxDegreeOfParallelism = PerStudy, CancellationToken = cancellationToken },
            async (copies, token) =>
            {
                foreach (var blob in copies)
                {
                    var outcome = await ReindexBlobAsync(blob.Key, token).ConfigureAwait(false);
                    if (outcome is not null)
                    {
                        lock (refused)
                        {
                            refused.Add(outcome);
                        }
                    }

                    Interlocked.Increment(ref _done);
                }
            }).ConfigureAwait(false);
        return refused;
    }

    // Keys of the ingest funnel: STUDY/SERIES/SOP.RANDOM.dcm.
    private static string SopOf(string key)
    {
        var name = key[(key.LastIndexOf('/') + 1)..];
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? name[..dot] : name;
    }

    /// <summary>Indexes one blob; the reason when it is refused, null otherwise. Throws when the cluster or database fails.</summary>
    private async Task<RefusedBlob?> ReindexBlobAsync(string key, CancellationToken cancellationToken)
    {
        var read = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
        if (read.Problem is { } problem)
        {
            LogRefused(logger, key, problem);
            return Refuse(new RefusedBlob(key, problem));
        }

        var record = read.Record!;
        // The grain claims the blob's intent in the transaction that indexes it (0101_batch_checks.sql): a blob that
        // was already here gets one, which is removed again whatever happens below, so that the reconciler never
        // takes an intent of ours for an abandoned upload.
        await intents.RecordAsync(key, cancellationToken).ConfigureAwait(false);
        CommitResult commit;
        try
        {
            var grain = grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(record.StudyInstanceUid));
            commit = await ContentHash.CommitAsync(calls, grain, record, blobs, cancellationToken).ConfigureAwait(false);
        }
        catch (ArchiveIndexException e) when (!e.Message.StartsWith("Index ", StringComparison.Ordinal))
        {
            // Refused by the index (e.g. this SOP Instance UID is indexed under another study), not unavailable.
            await ForgetQuietlyAsync(key).ConfigureAwait(false);
            return Refuse(new RefusedBlob(key, e.Message));
        }
        catch (Exception)
        {
            await ForgetQuietlyAsync(key).ConfigureAwait(false);
            throw;
        }

        switch (commit.Outcome)
        {
            case CommitOutcome.Stored:
            case CommitOutcome.Replaced:
                // Replaced: an earlier blob of the instance; it became a 'replaced' copy (Pacs:ReplacedRetention).
                Interlocked.Increment(ref _indexed);
                return null;
            case CommitOutcome.Duplicate:
                await ForgetQuietlyAsync(key).ConfigureAwait(false);
                Interlocked.Increment(ref _already);
                return null;
            case CommitOutcome.Conflict:
                // Kept aside as a 'conflict' copy (the grain claimed the intent), or already kept aside before.
                await ForgetQuietlyAsync(key).ConfigureAwait(false);
                Interlocked.Increment(ref _kept);
                return null;
            default:
                await ForgetQuietlyAsync(key).ConfigureAwait(false);
                return Refuse(new RefusedBlob(key, "A different instance with this SOP Instance UID is indexed (duplicate policy Reject)."));
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

    private async Task ForgetQuietlyAsync(string key)
    {
        try
        {
            await intents.ForgetAsync(key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The reconciler may delete this blob after its grace period unless a rerun indexes it first (docs/operations.md).
            LogForgetFailed(logger, e, key);
        }
    }

    private readonly record struct BlobRead(InstanceRecord? Record, string? Problem);

    /// <summary>
    /// Reads the blob to its end as the funnel reads an upload: its encoding guessed from the first element, Deflated
    /// Explicit VR Little Endian when that does not parse (PS3.5 A.5), the codec of encapsulated Pixel Data from its
    /// first fragment.
    /// </summary>
    private async Task<BlobRead> ReadAsync(string key, CancellationToken cancellationToken)
    {
        DicomTransferSyntax guessed;
        await using (var head = await blobs.OpenReadAsync(key, 0, 16, cancellationToken).ConfigureAwait(false))
        {
            var bytes = new byte[16];
            var n = await head.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (n < 8)
            {
                return new BlobRead(null, "Too short to be a data set");
            }

            guessed = TransferSyntaxProbe.FromDatasetHead(bytes.AsSpan(0, n));
        }

        var first = await ParseAsync(key, guessed, cancellationToken).ConfigureAwait(false);
        if (first.Problem is not null && first.Record is null && guessed == DicomTransferSyntax.ImplicitVRLittleEndian)
        {
            var deflated = await ParseAsync(key, DicomTransferSyntax.DeflatedExplicitVRLittleEndian, cancellationToken).ConfigureAwait(false);
            if (deflated.Problem is null)
            {
                return deflated;
            }
        }

        return first;
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

        var dataset = header.Dataset;
        string Uid(DicomTag tag) => dataset.GetString(tag) ?? "";
        var (study, series, sop, sopClass) = (Uid(DicomTag.StudyInstanceUID), Uid(DicomTag.SeriesInstanceUID), Uid(DicomTag.SOPInstanceUID), Uid(DicomTag.SOPClassUID));
        foreach (var (name, value) in new[] { ("Study Instance UID", study), ("Series Instance UID", series), ("SOP Instance UID", sop), ("SOP Class UID", sopClass) })
        {
            if (!DicomUids.IsValid(value))
            {
                return new BlobRead(null, value.Length == 0 ? $"{name} missing" : $"{name} is not a valid UID");
            }
        }

        // The funnel names a blob STUDY/SERIES/SOP.RANDOM.dcm: a name that disagrees with the header is not trusted.
        if (!key.StartsWith($"{study}/{series}/{sop}.", StringComparison.Ordinal))
        {
            return new BlobRead(null, "The blob's name does not match its header's UIDs");
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

        var record = IngestService.BuildRecord(dataset, study, series, sop, sopClass, syntax, key, tee.BytesRead, hash.Finish(), Source) with
        {
            AccessGroups = accessGroups.For(Source, dataset),
        };
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

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning, Message = "Reindex stopped; run it again to resume")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Warning, Message = "Reindex: the intent of blob {BlobKey} could not be removed; run reindex again within the reconciler's grace period")]
    private static partial void LogForgetFailed(ILogger logger, Exception exception, string blobKey);
}
