using System.Security.Cryptography;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.IO;
using Pacs.Dicom.Json;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Query;
using Pacs.Gateway.Cluster;
using Pacs.Gateway.Storage;
using Pacs.Grains;
using Pacs.Index;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// The one ingest funnel of C-STORE and STOW-RS. Discipline (Orthanc, dicom-server): the bytes go to the blob
/// store while the header is parsed, the blob is made durable, the study grain indexes it, and only then is the
/// sender answered. The blob holds the bare data set in its transfer syntax (a Part 10 file's meta header is not
/// kept; it is rebuilt when Part 10 is served). Any failure: a failure status, nothing visible in the index, and our
/// blob discarded at once or, failing that, by the reconciler through the marker its commit left.
/// </summary>
internal sealed partial class IngestService(
    IBlobStore blobs,
    BlobIntents intents,
    IGrainFactory grains,
    GrainCalls calls,
    AccessGroupRules accessGroups,
    ILogger<IngestService> logger,
    IngestActivity? ingestActivity = null)
{
    private readonly IngestActivity _ingestActivity = ingestActivity ?? new IngestActivity();

    // The header is parsed into memory; large values (Pixel Data, its fragments) are walked as they stream to the
    // blob but not kept, so memory stays bounded whatever the instance's size.
    internal static readonly DicomReadOptions HeaderOptions = DicomReadOptions.Default with
    {
        BulkDataThreshold = 64 * 1024,
        MaxBufferedValueLength = 1024 * 1024,
    };

    // Studies whose grain this gateway asked to activate lately: a direct-mapped cache of Study Instance UIDs, so a
    // study's later instances send nothing extra. A collision or an evicted entry costs one more (harmless) message.
    private readonly string?[] _preparedStudies = new string?[4096];

    /// <summary>Receives one instance from <paramref name="source"/> and commits it: the whole funnel, for one caller.</summary>
    public async Task<IngestResult> StoreAsync(IngestRequest request, Stream source, CancellationToken cancellationToken)
    {
        var received = await ReceiveAsync(request, source, cancellationToken).ConfigureAwait(false);
        return await CommitAsync(received).ConfigureAwait(false);
    }

    /// <summary>
    /// The first half of the funnel: the bytes are read to the end of the instance, into a staging blob, with the
    /// header parsed. Nothing is durable or visible yet. A caller with more instances
    /// on the same stream (STOW-RS) reads the next one while <see cref="CommitAsync"/> finishes this one.
    /// </summary>
    public async Task<ReceivedInstance> ReceiveAsync(IngestRequest request, Stream source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(source);
        _ingestActivity.Mark();
        var started = GatewayTelemetry.StageStart();
        using var activity = GatewayTelemetry.StartStage("ingest receive");
        var received = await ReceiveCoreAsync(request, source, cancellationToken).ConfigureAwait(false);
        GatewayTelemetry.StageDone("receive", started);
        if (received.Result is { } refused)
        {
            // Decided here: CommitAsync hands the outcome back without counting it again.
            GatewayTelemetry.Fail(activity, refused.Status);
            GatewayTelemetry.Ingested(refused, 0);
        }

        return received;
    }

    private async Task<ReceivedInstance> ReceiveCoreAsync(IngestRequest request, Stream source, CancellationToken cancellationToken)
    {
        IBlobWrite write;
        try
        {
            write = await blobs.BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogStorageFailed(logger, e);
            await DrainQuietlyAsync(source, cancellationToken).ConfigureAwait(false);
            return ReceivedInstance.Failed(new IngestResult(IngestStatus.OutOfResources, ErrorComment: "Storage unavailable"));
        }

        var handedOver = false;
        try
        {
            using var hash = new ContentHash();
            TeeStream? tee = null;
            DicomReadResult header;
            DicomTransferSyntax syntax;
            Identity identity = default;
            string key;
            try
            {
                var dataSource = source;
                if (request.TransferSyntax is { } given)
                {
                    syntax = given;
                }
                else
                {
                    var part10 = await Part10Header.ReadAsync(source, cancellationToken).ConfigureAwait(false);
                    syntax = part10.TransferSyntax;
                    dataSource = new PrefixedStream(part10.DatasetPrefix, source);
                }

                tee = new TeeStream(dataSource, write.Stream, hash);
                await using var reader = new DicomStreamReader(tee, syntax, HeaderOptions);
                header = await reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
                identity = Validate(request, header.Dataset, out var failure);
                if (failure is not null)
                {
                    await DrainQuietlyAsync(source, cancellationToken).ConfigureAwait(false);
                    return ReceivedInstance.Failed(failure);
                }

                // The key is unique per write (not derived from the content), so it is known as soon as the header is.
                key = $"{identity.Study}/{identity.Series}/{identity.Sop}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.dcm";
                PrepareStudy(identity.Study);
                // A new study's or series' folders are made now and their names fsynced while the rest arrives.
                write.Prepare(key);

                // The rest (Pixel Data and what follows) is parsed as it streams to the blob, not re-read: a data set
                // that ends before its declared lengths throws here (DicomFormatException, "cannot understand"), and
                // pixel data too short for its image is refused below. Nothing refused is ever acknowledged.
                var pixelData = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                await tee.DrainAsync(cancellationToken).ConfigureAwait(false);
                if (PixelDataConsistency.FindProblem(header.Dataset, pixelData, syntax) is { } problem)
                {
                    return ReceivedInstance.Failed(Result(IngestStatus.DataSetDoesNotMatch, identity, DimseStatus.TruncateErrorComment(problem), null));
                }
            }
            catch (DicomFormatException e) when (tee is not { SourceFailed: true } && tee is not { SinkFailed: true })
            {
                await DrainQuietlyAsync(source, cancellationToken).ConfigureAwait(false);
                return ReceivedInstance.Failed(new IngestResult(IngestStatus.CannotUnderstand, SopInstanceUid: request.ExpectedSopInstanceUid,
                    SopClassUid: request.ExpectedSopClassUid, ErrorComment: DimseStatus.TruncateErrorComment(e.Message)));
            }
            catch (Exception e) when (tee is { SinkFailed: true })
            {
                LogStorageFailed(logger, e);
                await DrainQuietlyAsync(source, cancellationToken).ConfigureAwait(false);
                return ReceivedInstance.Failed(new IngestResult(IngestStatus.OutOfResources, ErrorComment: "Storage write failed"));
            }
            catch (Exception e) when (e is IOException or OperationCanceledException || tee is { SourceFailed: true })
            {
                LogAborted(logger, e, request.Source);
                return ReceivedInstance.Failed(new IngestResult(IngestStatus.Aborted, SopInstanceUid: request.ExpectedSopInstanceUid));
            }

            var digest = hash.Finish();
            // Kept with the blob, so that an index rebuild need not read it whole (Reindexer).
            write.RecordContentHash(digest);
            var record = BuildRecord(header.Dataset, identity, syntax, key, tee!.BytesRead, digest, request.Source) with
            {
                Supersede = request.Supersede,
                // An admin's accept keeps the study's groups; anything received gets those of this gateway's rules.
                AccessGroups = request.Supersede ? [] : accessGroups.For(request.Source, header.Dataset),
            };
            var warnings = header.Warnings.Count == 0 ? null : header.Warnings.Select(w => w.ToString()).ToList();
            handedOver = true;
            return new ReceivedInstance(null, write, record, warnings);
        }
        finally
        {
            if (!handedOver)
            {
                await write.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The second half of the funnel: the blob made durable and visible, the study grain's commit, the outcome. Runs
    /// to the end whatever happens to the caller (the bytes are all here; finishing is the safe choice).
    /// </summary>
    public async Task<IngestResult> CommitAsync(ReceivedInstance received)
    {
        ArgumentNullException.ThrowIfNull(received);
        if (received.Result is { } final)
        {
            return final;
        }

        using var activity = GatewayTelemetry.StartStage("ingest commit");
        var result = await CommitCoreAsync(received).ConfigureAwait(false);
        _ingestActivity.Mark();
        if (!result.IsSuccess)
        {
            GatewayTelemetry.Fail(activity, result.Status);
        }

        GatewayTelemetry.Ingested(result, received.Record!.BlobSize);
        return result;
    }

    private async Task<IngestResult> CommitCoreAsync(ReceivedInstance received)
    {
        await using var write = received.Write!;
        var record = received.Record!;
        var identity = new Identity(record.StudyInstanceUid, record.SeriesInstanceUid, record.SopInstanceUid, record.SopClassUid);
        var warnings = received.Warnings;
        var blobKey = record.BlobKey;

        // The commit leaves a marker for the key, renames the blob into its folder while the staged bytes' fsync runs,
        // fsyncs the folder beside it, and returns once both are on disk: the index row that points at the blob is
        // written only after that, and the sender answered only after the index commits. From the rename on, a crash
        // leaves the marker, which the reconciler follows to our blob.
        var flushStarted = GatewayTelemetry.StageStart();
        using (GatewayTelemetry.StartStage("blob flush"))
        {
            try
            {
                await write.CommitAsync(blobKey, CancellationToken.None).ConfigureAwait(false);
                GatewayTelemetry.StageDone("blob_flush", flushStarted);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogStorageFailed(logger, e);
                await DiscardQuietlyAsync(blobKey).ConfigureAwait(false);
                return Result(IngestStatus.OutOfResources, identity, "Storage commit failed", warnings);
            }
        }

        CommitResult commit;
        try
        {
            // Asked again while a lost silo is being replaced (GrainCalls): a repeated commit is answered Duplicate, and
            // the settlement below, which makes a failure final, comes only when asking again is over.
            var grain = grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(identity.Study));
            var commitStarted = GatewayTelemetry.StageStart();
            using var indexCommit = GatewayTelemetry.StartStage("index commit");
            commit = await ContentHash.CommitAsync(calls, grain, record, blobs, CancellationToken.None).ConfigureAwait(false);
            GatewayTelemetry.StageDone("index_commit", commitStarted);
        }
        catch (Exception e)
        {
            LogIndexFailed(logger, e, identity.Study);
            // A failed call is not a failed commit: the silo may have died after COMMIT, or the answer was lost.
            // The index decides; answering "failure" for a row that exists would be a lie the sender acts on.
            if (await SettleQuietlyAsync(blobKey, identity.Sop, record.ContentHash).ConfigureAwait(false))
            {
                LogCommitLanded(logger, identity.Study);
                blobs.Settled(blobKey);
                return Result(IngestStatus.Stored, identity, null, warnings);
            }

            return Result(IngestStatus.OutOfResources, identity, "Index unavailable", warnings);
        }

        switch (commit.Outcome)
        {
            case CommitOutcome.Stored:
                blobs.Settled(blobKey);
                return Result(IngestStatus.Stored, identity, null, warnings);
            case CommitOutcome.Duplicate:
                // Same bytes already indexed under another key: our copy goes (or stays, if a repeated call indexed it).
                await DiscardQuietlyAsync(blobKey).ConfigureAwait(false);
                return Result(IngestStatus.Duplicate, identity, null, warnings);
            case CommitOutcome.Replaced:
                blobs.Settled(blobKey);
                if (commit.ObsoleteBlobKey is { } obsolete)
                {
                    await ReclaimQuietlyAsync(obsolete).ConfigureAwait(false);
                }

                return Result(IngestStatus.Replaced, identity, null, warnings);
            case CommitOutcome.Conflict:
                // Kept aside: the discard finds our blob used and keeps it; or the same bytes were kept aside already
                // (a retry), and our copy goes.
                await DiscardQuietlyAsync(blobKey).ConfigureAwait(false);
                return Result(IngestStatus.Conflict, identity, "Differs from the stored instance; held for review", warnings);
            default:
                await DiscardQuietlyAsync(blobKey).ConfigureAwait(false);
                return Result(IngestStatus.RejectedDuplicate, identity, "A different instance with this SOP Instance UID is stored", warnings);
        }
    }

    private readonly record struct Identity(string Study, string Series, string Sop, string SopClass);

    /// <summary>The first time a study is seen, its grain is activated in the background (see IStudyGrain.PrepareAsync).</summary>
    private void PrepareStudy(string studyInstanceUid)
    {
        var slot = (StringComparer.Ordinal.GetHashCode(studyInstanceUid) & int.MaxValue) % _preparedStudies.Length;
        if (string.Equals(Volatile.Read(ref _preparedStudies[slot]), studyInstanceUid, StringComparison.Ordinal))
        {
            return;
        }

        Volatile.Write(ref _preparedStudies[slot], studyInstanceUid);
        try
        {
            _ = grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(studyInstanceUid)).PrepareAsync();
        }
        catch (Exception e)
        {
            // Only a head start: the commit activates the grain anyway (and reports what goes wrong then).
            LogPrepareFailed(logger, e);
        }
    }

    /// <summary>Strict on the identifying UIDs (PS3.5 9.1 syntax, the command's values), lenient on everything else.</summary>
    private static Identity Validate(IngestRequest request, DicomDataset dataset, out IngestResult? failure)
    {
        var identity = new Identity(
            dataset.GetString(DicomTag.StudyInstanceUID) ?? "",
            dataset.GetString(DicomTag.SeriesInstanceUID) ?? "",
            dataset.GetString(DicomTag.SOPInstanceUID) ?? "",
            dataset.GetString(DicomTag.SOPClassUID) ?? "");
        failure = null;
        foreach (var (name, value) in new[]
        {
            ("Study Instance UID", identity.Study), ("Series Instance UID", identity.Series),
            ("SOP Instance UID", identity.Sop), ("SOP Class UID", identity.SopClass),
        })
        {
            if (!DicomUids.IsValid(value))
            {
                failure = Result(IngestStatus.DataSetDoesNotMatch, identity, value.Length == 0 ? $"{name} missing" : $"{name} is not a valid UID", null);
                return identity;
            }
        }

        // PS3.7 9.1.1.1: the data set's SOP Class/Instance UIDs are the command's Affected SOP Class/Instance UIDs.
        if (request.ExpectedSopInstanceUid is { } sop && !string.Equals(sop, identity.Sop, StringComparison.Ordinal))
        {
            failure = Result(IngestStatus.DataSetDoesNotMatch, identity, "SOP Instance UID differs from the command's", null);
        }
        else if (request.ExpectedSopClassUid is { } sopClass && !string.Equals(sopClass, identity.SopClass, StringComparison.Ordinal))
        {
            failure = Result(IngestStatus.DataSetDoesNotMatch, identity, "SOP Class UID differs from the command's", null);
        }
        else if (request.ExpectedStudyInstanceUid is { } study && !string.Equals(study, identity.Study, StringComparison.Ordinal))
        {
            failure = Result(IngestStatus.StudyUidMismatch, identity, "Study Instance UID differs from the request's", null);
        }

        return identity;
    }

    /// <summary>The flat summary the index needs, and the header split by information-model level (PS3.4 C.6.1.1).</summary>
    internal static InstanceRecord BuildRecord(DicomDataset dataset, string study, string series, string sop, string sopClass,
        DicomTransferSyntax syntax, string key, long size, byte[] contentHash, string source) =>
        BuildRecord(dataset, new Identity(study, series, sop, sopClass), syntax, key, size, contentHash, source);

    private static InstanceRecord BuildRecord(DicomDataset dataset, Identity identity, DicomTransferSyntax syntax, string key, long size, byte[] contentHash, string source)
    {
        var patient = new DicomDataset();
        var studyLevel = new DicomDataset();
        var seriesLevel = new DicomDataset();
        foreach (var element in dataset)
        {
            switch (QueryAttributes.LevelOf(element.Tag))
            {
                case QueryLevel.Patient:
                    patient.Set(element);
                    break;
                case QueryLevel.Study:
                    studyLevel.Set(element);
                    break;
                case QueryLevel.Series:
                    seriesLevel.Set(element);
                    break;
            }
        }

        foreach (var level in new[] { patient, studyLevel, seriesLevel })
        {
            // Decoded with the data set's character set, wherever the element went.
            level.InheritedCharacterSet = dataset.CharacterSet;
        }

        string Text(DicomTag tag) => dataset.GetString(tag) ?? "";
        return new InstanceRecord
        {
            StudyInstanceUid = identity.Study,
            SeriesInstanceUid = identity.Series,
            SopInstanceUid = identity.Sop,
            SopClassUid = identity.SopClass,
            TransferSyntaxUid = syntax.Uid,
            BlobKey = key,
            BlobSize = size,
            ContentHash = contentHash,
            ContentHashAlgorithm = ContentHash.Algorithm,
            Patient = new PatientDemographics
            {
                PatientId = Text(DicomTag.PatientID),
                IssuerOfPatientId = Text(DicomTag.IssuerOfPatientID),
                PatientName = Text(DicomTag.PatientName),
                PatientBirthDate = Text(DicomTag.PatientBirthDate),
                PatientSex = Text(DicomTag.PatientSex),
                AttributesJson = DicomJsonWriter.ToUtf8Bytes(patient),
            },
            Study = new StudyAttributes
            {
                StudyDate = Text(DicomTag.StudyDate),
                StudyTime = Text(DicomTag.StudyTime),
                AccessionNumber = Text(DicomTag.AccessionNumber),
                StudyId = Text(DicomTag.StudyID),
                StudyDescription = Text(DicomTag.StudyDescription),
                ReferringPhysicianName = Text(DicomTag.ReferringPhysicianName),
                AttributesJson = DicomJsonWriter.ToUtf8Bytes(studyLevel),
            },
            Series = new SeriesAttributes
            {
                Modality = Text(DicomTag.Modality),
                SeriesNumber = dataset.GetInt32(DicomTag.SeriesNumber),
                SeriesDescription = Text(DicomTag.SeriesDescription),
                SeriesDate = Text(DicomTag.SeriesDate),
                SeriesTime = Text(DicomTag.SeriesTime),
                BodyPartExamined = Text(DicomTag.BodyPartExamined),
                AttributesJson = DicomJsonWriter.ToUtf8Bytes(seriesLevel),
            },
            InstanceNumber = dataset.GetInt32(DicomTag.InstanceNumber),
            NumberOfFrames = dataset.GetInt32(DicomTag.NumberOfFrames),
            Rows = dataset.GetInt32(DicomTag.Rows),
            Columns = dataset.GetInt32(DicomTag.Columns),
            HeaderJson = DicomJsonWriter.ToUtf8Bytes(dataset),
            Source = source,
        };
    }

    private static IngestResult Result(IngestStatus status, Identity identity, string? comment, IReadOnlyList<string>? warnings) =>
        new(status, NullIfEmpty(identity.Study), NullIfEmpty(identity.Series), NullIfEmpty(identity.Sop), NullIfEmpty(identity.SopClass), comment, warnings);

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private async Task ReclaimQuietlyAsync(string key)
    {
        try
        {
            await intents.ReclaimAsync([key], CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
        {
            // The intent stays; the reconciler finishes the job.
            LogReclaimDeferred(logger, e);
        }
    }

    /// <summary>Our new blob, which the index did not take: deleted unless the index uses it after all, and fenced off.</summary>
    private async Task DiscardQuietlyAsync(string key)
    {
        try
        {
            if (!await intents.DiscardAsync(key, CancellationToken.None).ConfigureAwait(false))
            {
                blobs.Settled(key); // kept (the index uses it); a deleted blob's marker went with it
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
        {
            // The marker stays; the reconciler finishes the job.
            LogReclaimDeferred(logger, e);
        }
    }

    /// <summary>True only when the index holds our instance; false also when the database cannot tell (the marker stays).</summary>
    private async Task<bool> SettleQuietlyAsync(string key, string sopInstanceUid, byte[] contentHash)
    {
        try
        {
            return await intents.SettleAsync(key, sopInstanceUid, contentHash, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
        {
            LogReclaimDeferred(logger, e);
            return false;
        }
    }

    /// <summary>A refused instance's remaining bytes are still read, so the sender's stream ends where it should.</summary>
    private static async Task DrainQuietlyAsync(Stream source, CancellationToken cancellationToken)
    {
        try
        {
            await source.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or NotSupportedException)
        {
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Ingest: blob storage failed")]
    private static partial void LogStorageFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Ingest: index commit failed for study {StudyInstanceUid}")]
    private static partial void LogIndexFailed(ILogger logger, Exception exception, string studyInstanceUid);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Ingest: {Source} went away mid-instance")]
    private static partial void LogAborted(ILogger logger, Exception exception, string source);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Ingest: the index call for study {StudyInstanceUid} failed but its commit had landed; acknowledged")]
    private static partial void LogCommitLanded(ILogger logger, string studyInstanceUid);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Debug, Message = "Ingest: study grain warm-up not sent")]
    private static partial void LogPrepareFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Ingest: blob reclaim deferred to the reconciler")]
    private static partial void LogReclaimDeferred(ILogger logger, Exception exception);
}
