using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Concurrency;
using Pacs.Index.Write;

namespace Pacs.Grains;

/// <summary>
/// The one place where a study's instances are accepted. While active it holds the study's instance list (SOP
/// Instance UID -> hash, blob key, series) loaded from the index in one query, so that deduplication and the derived
/// attributes never read the database. The index IS the study's durable state: nothing here is grain state, and a
/// batch writes only its own instances' rows plus the study and touched series rows, so an n-instance study costs
/// O(n) bytes in total.
/// Group commit: calls interleave ([Reentrant]); each new instance is queued, one flush loop writes everything
/// queued so far in one transaction, then answers every caller of that batch.
/// </summary>
[GrainType("study")]
[Reentrant]
internal sealed partial class StudyGrain(StudyIndex index, IOptions<ArchiveGrainOptions> options, ILogger<StudyGrain> logger,
    SeriesMetadataBudget metadataBudget, NpgsqlDataSource dataSource)
    : Grain, IStudyGrain
{
    private readonly Dictionary<string, StoredInstance> _instances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SeriesState> _series = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _sopClassCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingCommit> _pending = new(StringComparer.Ordinal);
    private readonly List<PendingCommit> _queue = [];
    private Task? _flushLoop;
    // Demographics the patient row is known to reflect (the row's own at activation, then the last batch's).
    private PatientDemographics? _patientRowCurrent;
    private string _studyInstanceUid = "";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        _studyInstanceUid = key.StartsWith("study:", StringComparison.Ordinal) ? key["study:".Length..] : key;
        StudySnapshot snapshot;
        try
        {
            snapshot = await index.LoadAsync(_studyInstanceUid, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ArchiveIndexException($"Index unavailable: {e.Message}");
        }

        foreach (var (seriesUid, modality) in snapshot.SeriesModalities)
        {
            _series[seriesUid] = new SeriesState(modality);
        }

        foreach (var (sop, instance) in snapshot.Instances)
        {
            Add(sop, instance);
        }

        _patientRowCurrent = snapshot.Patient;
        LogActivated(logger, _studyInstanceUid, snapshot.Instances.Count);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        ForgetSeriesMetadata(); // StudyGrain.Metadata.cs
        return Task.CompletedTask;
    }

    // The caller's token is not observed: a commit taken runs to the end (IStudyGrain.CommitAsync).
    public async Task<CommitResult> CommitAsync(InstanceRecord instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (!string.Equals(instance.StudyInstanceUid, _studyInstanceUid, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Instance of study {instance.StudyInstanceUid} sent to the grain of {_studyInstanceUid}.", nameof(instance));
        }

        var sop = instance.SopInstanceUid;
        // One SOP Instance UID at a time: a second copy waits for the first to be decided, then is compared with it.
        while (_pending.TryGetValue(sop, out var earlier))
        {
            try
            {
                await earlier.Completion.Task;
            }
            catch (Exception)
            {
                // The earlier copy failed; this one is judged on its own.
            }
        }

        string? obsolete = null;
        if (_instances.TryGetValue(sop, out var existing))
        {
            if (existing.ContentHashAlgorithm == instance.ContentHashAlgorithm)
            {
                if (existing.ContentHash.AsSpan().SequenceEqual(instance.ContentHash))
                {
                    return new CommitResult(CommitOutcome.Duplicate);
                }
            }
            else if (existing.ContentHashAlgorithm == ContentHashAlgorithms.Sha256)
            {
                // Indexed before BLAKE3 (0170): only the caller has the bytes to hash the way the stored copy was.
                if (instance.Sha256 is null)
                {
                    return new CommitResult(CommitOutcome.Sha256Needed);
                }

                if (existing.ContentHash.AsSpan().SequenceEqual(instance.Sha256))
                {
                    return new CommitResult(CommitOutcome.Duplicate);
                }
            }

            // An administrator's accept or restore (Supersede) replaces whatever the policy says.
            var policy = instance.Supersede ? DuplicatePolicy.Replace : options.Value.DuplicatePolicy;
            if (policy == DuplicatePolicy.Reject)
            {
                LogRejected(logger, _studyInstanceUid, sop);
                return new CommitResult(CommitOutcome.Rejected);
            }

            if (policy == DuplicatePolicy.KeepFirst)
            {
                return await KeepConflictAsync(instance, existing.BlobKey);
            }

            obsolete = existing.BlobKey;
        }

        var pending = new PendingCommit(instance, obsolete);
        _pending[sop] = pending;
        _queue.Add(pending);
        _flushLoop ??= FlushLoopAsync();
        return await pending.Completion.Task;
    }

    // Each commit is started before any is awaited: they all join the queue before the flush loop's first yield, so
    // a chunk of new instances is written in one transaction (up to ArchiveGrainOptions.MaxBatchSize).
    public async Task<IReadOnlyList<CommitResult>> CommitManyAsync(IReadOnlyList<InstanceRecord> instances, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instances);
        var commits = new Task<CommitResult>[instances.Count];
        for (var i = 0; i < instances.Count; i++)
        {
            commits[i] = CommitAsync(instances[i], cancellationToken);
        }

        var results = new CommitResult[instances.Count];
        for (var i = 0; i < commits.Length; i++)
        {
            try
            {
                results[i] = await commits[i];
            }
            catch (ArchiveIndexException e)
            {
                results[i] = new CommitResult(CommitOutcome.Failed) { Error = e.Message };
            }
        }

        return results;
    }

    public Task PrepareAsync() => Task.CompletedTask;

    /// <summary>Keep-first: the stored instance stays; the different copy is kept aside, with its audit event.</summary>
    private async Task<CommitResult> KeepConflictAsync(InstanceRecord instance, string storedBlobKey)
    {
        bool kept;
        try
        {
            kept = await index.KeepConflictAsync(instance, storedBlobKey, CancellationToken.None);
        }
        catch (IndexRefusedException refused)
        {
            throw new ArchiveIndexException(refused.Refused.Values.First());
        }
        catch (Exception e) when (e is not ArchiveIndexException)
        {
            throw new ArchiveIndexException($"Index write failed: {e.Message}");
        }

        LogConflictKept(logger, _studyInstanceUid, instance.SopInstanceUid, kept);
        return new CommitResult(CommitOutcome.Conflict);
    }

    public async Task<IReadOnlyList<string>> DeleteAsync(string? seriesInstanceUid, string? sopInstanceUid)
    {
        // Let queued commits land first, so that a delete after a store sees the store.
        while (_flushLoop is { } loop)
        {
            await loop;
        }

        IReadOnlyList<string> keys;
        try
        {
            keys = await index.DeleteAsync(_studyInstanceUid, seriesInstanceUid, sopInstanceUid, CancellationToken.None);
        }
        catch (Exception e) when (e is not ArchiveIndexException)
        {
            DeactivateOnIdle();
            throw new ArchiveIndexException($"Index delete failed: {e.Message}");
        }

        foreach (var sop in _instances
            .Where(i => (sopInstanceUid is null || i.Key == sopInstanceUid) && (seriesInstanceUid is null || i.Value.SeriesInstanceUid == seriesInstanceUid))
            .Select(i => i.Key).ToList())
        {
            Remove(sop);
        }

        foreach (var empty in _series.Where(s => s.Value.Instances.Count == 0).Select(s => s.Key).ToList())
        {
            _series.Remove(empty);
        }

        return keys;
    }

    private async Task FlushLoopAsync()
    {
        // Yield once so that calls already waiting in the activation's queue join the first batch.
        await Task.Yield();
        try
        {
            while (_queue.Count > 0)
            {
                var take = Math.Min(_queue.Count, Math.Max(1, options.Value.MaxBatchSize));
                var batch = _queue.GetRange(0, take);
                _queue.RemoveRange(0, take);
                await FlushAsync(batch);
            }
        }
        finally
        {
            _flushLoop = null;
        }
    }

    private async Task FlushAsync(List<PendingCommit> batch)
    {
        try
        {
            await index.WriteBatchAsync(BuildBatch(batch), CancellationToken.None);
        }
        catch (IndexRefusedException refused)
        {
            // Fail only the refused instances; the others go back to the front of the queue.
            var retry = new List<PendingCommit>();
            foreach (var pending in batch)
            {
                if (refused.Refused.TryGetValue(pending.Record.SopInstanceUid, out var reason))
                {
                    Fail(pending, new ArchiveIndexException(reason));
                }
                else
                {
                    retry.Add(pending);
                }
            }

            _queue.InsertRange(0, retry);
            return;
        }
        catch (Exception e)
        {
            LogBatchFailed(logger, e, _studyInstanceUid, batch.Count);
            // The transaction may have committed after all (connection lost during COMMIT): reload from the index
            // on the next call rather than trust what is in memory.
            DeactivateOnIdle();
            var error = new ArchiveIndexException($"Index write failed: {e.Message}");
            foreach (var pending in batch)
            {
                Fail(pending, error);
            }

            return;
        }

        ArchiveMetrics.CommitBatches.Add(1);
        ArchiveMetrics.CommittedInstances.Add(batch.Count);
        foreach (var pending in batch)
        {
            var r = pending.Record;
            if (pending.ObsoleteBlobKey is not null)
            {
                Remove(r.SopInstanceUid);
            }

            if (!_series.ContainsKey(r.SeriesInstanceUid))
            {
                _series[r.SeriesInstanceUid] = new SeriesState(r.Series.Modality);
            }

            _series[r.SeriesInstanceUid].Modality = r.Series.Modality;
            Add(r.SopInstanceUid, new StoredInstance(r.SeriesInstanceUid, r.SopClassUid, r.ContentHash, r.ContentHashAlgorithm, r.BlobKey));
        }

        foreach (var pending in batch)
        {
            _pending.Remove(pending.Record.SopInstanceUid);
            pending.Completion.TrySetResult(pending.ObsoleteBlobKey is null
                ? new CommitResult(CommitOutcome.Stored)
                : new CommitResult(CommitOutcome.Replaced, pending.ObsoleteBlobKey));
        }

        // The patient row now reflects these demographics (upserted, conflicts recorded): later batches skip it.
        _patientRowCurrent = batch[^1].Record.Patient;
    }

    private void Fail(PendingCommit pending, Exception error)
    {
        _pending.Remove(pending.Record.SopInstanceUid);
        pending.Completion.TrySetException(error);
    }

    /// <summary>The batch with the study and series summaries as they will be once it commits (PS3.4 C.6.1.1.3 derived attributes).</summary>
    private StudyBatch BuildBatch(List<PendingCommit> batch)
    {
        var seriesCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var classCounts = new Dictionary<string, int>(_sopClassCounts, StringComparer.Ordinal);
        var modalities = _series.Where(s => s.Value.Instances.Count > 0).ToDictionary(s => s.Key, s => s.Value.Modality, StringComparer.Ordinal);
        var latestSeries = new Dictionary<string, SeriesAttributes>(StringComparer.Ordinal);
        var instanceCount = _instances.Count;
        int SeriesCount(string uid) => seriesCounts.TryGetValue(uid, out var n) ? n : _series.TryGetValue(uid, out var s) ? s.Instances.Count : 0;

        foreach (var pending in batch)
        {
            var r = pending.Record;
            if (pending.ObsoleteBlobKey is not null && _instances.TryGetValue(r.SopInstanceUid, out var old))
            {
                seriesCounts[old.SeriesInstanceUid] = SeriesCount(old.SeriesInstanceUid) - 1;
                classCounts[old.SopClassUid]--;
                if (seriesCounts[old.SeriesInstanceUid] == 0)
                {
                    modalities.Remove(old.SeriesInstanceUid);
                }
            }
            else
            {
                instanceCount++;
            }

            seriesCounts[r.SeriesInstanceUid] = SeriesCount(r.SeriesInstanceUid) + 1;
            classCounts[r.SopClassUid] = classCounts.GetValueOrDefault(r.SopClassUid) + 1;
            modalities[r.SeriesInstanceUid] = r.Series.Modality;
            latestSeries[r.SeriesInstanceUid] = r.Series;
        }

        var last = batch[^1].Record;
        return new StudyBatch(
            _studyInstanceUid,
            last.Patient,
            last.Study,
            modalities.Values.Where(m => m.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            classCounts.Where(c => c.Value > 0 && c.Key.Length > 0).Select(c => c.Key).Order(StringComparer.Ordinal).ToList(),
            modalities.Count,
            instanceCount,
            latestSeries.Select(s => new SeriesSummary(s.Key, s.Value, seriesCounts[s.Key])).ToList(),
            batch.Select(p => new IndexedWrite(p.Record, p.ObsoleteBlobKey, options.Value.ReplacedRetention)).ToList(),
            PatientUpserts(batch))
        {
            AccessGroups = batch.SelectMany(p => p.Record.AccessGroups).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>The batch's distinct demographics, in arrival order, that the patient row may not reflect yet.</summary>
    private List<PatientDemographics> PatientUpserts(List<PendingCommit> batch)
    {
        var upserts = new List<PatientDemographics>();
        foreach (var pending in batch)
        {
            var patient = pending.Record.Patient;
            if ((_patientRowCurrent is null || !SameDemographics(_patientRowCurrent, patient)) && !upserts.Exists(p => SameDemographics(p, patient)))
            {
                upserts.Add(patient);
            }
        }

        return upserts;
    }

    private void Add(string sop, StoredInstance instance)
    {
        _instances[sop] = instance;
        if (!_series.TryGetValue(instance.SeriesInstanceUid, out var series))
        {
            series = new SeriesState("");
            _series[instance.SeriesInstanceUid] = series;
        }

        series.Instances.Add(sop);
        InvalidateSeriesMetadata(instance.SeriesInstanceUid); // StudyGrain.Metadata.cs
        _sopClassCounts[instance.SopClassUid] = _sopClassCounts.GetValueOrDefault(instance.SopClassUid) + 1;
    }

    private void Remove(string sop)
    {
        if (!_instances.Remove(sop, out var instance))
        {
            return;
        }

        if (_series.TryGetValue(instance.SeriesInstanceUid, out var series))
        {
            series.Instances.Remove(sop);
        }

        InvalidateSeriesMetadata(instance.SeriesInstanceUid); // StudyGrain.Metadata.cs

        if (--_sopClassCounts[instance.SopClassUid] == 0)
        {
            _sopClassCounts.Remove(instance.SopClassUid);
        }
    }

    private static bool SameDemographics(PatientDemographics a, PatientDemographics b) =>
        a.PatientId == b.PatientId && a.IssuerOfPatientId == b.IssuerOfPatientId && a.PatientName == b.PatientName
        && a.PatientBirthDate == b.PatientBirthDate && a.PatientSex == b.PatientSex;

    private sealed class SeriesState(string modality)
    {
        public string Modality { get; set; } = modality;

        public HashSet<string> Instances { get; } = new(StringComparer.Ordinal);
    }

    private sealed class PendingCommit(InstanceRecord record, string? obsoleteBlobKey)
    {
        public InstanceRecord Record { get; } = record;

        public string? ObsoleteBlobKey { get; } = obsoleteBlobKey;

        public TaskCompletionSource<CommitResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, Message = "Study {StudyInstanceUid}: activated with {Count} indexed instance(s)")]
    private static partial void LogActivated(ILogger logger, string studyInstanceUid, int count);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Study {StudyInstanceUid}: different bytes for {SopInstanceUid} rejected by policy")]
    private static partial void LogRejected(ILogger logger, string studyInstanceUid, string sopInstanceUid);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Study {StudyInstanceUid}: different bytes for {SopInstanceUid} kept aside as a conflict (new copy: {Kept})")]
    private static partial void LogConflictKept(ILogger logger, string studyInstanceUid, string sopInstanceUid, bool kept);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Study {StudyInstanceUid}: index batch of {Count} instance(s) failed")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, string studyInstanceUid, int count);
}
