using System.Diagnostics.Metrics;
using static Pacs.Grains.Tests.IndexTestData;

namespace Pacs.Grains.Tests;

public sealed class StudyGrainTests(ArchiveClusterFixture fixture) : IClassFixture<ArchiveClusterFixture>
{
    private IGrainFactory Grains => fixture.Cluster.GrainFactory;

    private string Db => fixture.ConnectionString;

    [Fact]
    public async Task Commit_NewInstance_IsIndexedAndLeavesNoIntent()
    {
        var record = Record(Uid(), Uid());

        var result = await CommitAsync(Grains, Db, record);

        Assert.Equal(CommitOutcome.Stored, result.Outcome);
        Assert.Equal(record.BlobKey, await ScalarAsync<string>(Db, "SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", record.SopInstanceUid));
        Assert.Equal(0L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_blob_intents WHERE blob_key = $1", record.BlobKey));
        Assert.Equal("DOE^JOHN", await ScalarAsync<string>(Db,
            "SELECT p.patient_name_search FROM pacs_patients p JOIN pacs_studies s ON s.patient_key = p.patient_key WHERE s.study_instance_uid = $1", record.StudyInstanceUid));
        Assert.Equal("MULLER^HANS", await ScalarAsync<string>(Db,
            "SELECT referring_physician_search FROM pacs_studies WHERE study_instance_uid = $1", record.StudyInstanceUid));
        Assert.Equal(new DateTime(2024, 1, 31), await ScalarAsync<DateTime>(Db,
            "SELECT study_date::timestamp FROM pacs_studies WHERE study_instance_uid = $1", record.StudyInstanceUid));
    }

    [Fact]
    public async Task Prepare_UnseenStudy_ActivatesItsGrainAndWritesNothing()
    {
        var study = Uid();
        var id = GrainId.Create("study", IStudyGrain.KeyFor(study));
        var management = Grains.GetGrain<IManagementGrain>(0);

        await Grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study)).PrepareAsync();

        // One-way: the call returns before the activation; wait for it to show up.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(await management.GetActiveGrains(GrainType.Create("study"))).Contains(id))
        {
            Assert.True(DateTime.UtcNow < deadline, "the study grain was not activated");
            await Task.Delay(50);
        }

        Assert.Equal(0L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_studies WHERE study_instance_uid = $1", study));
    }

    [Fact]
    public async Task Commit_SameBytesAgain_IsDuplicateAndChangesNothing()
    {
        var record = Record(Uid(), Uid());
        await CommitAsync(Grains, Db, record);

        var again = await CommitAsync(Grains, Db, record);

        Assert.Equal(CommitOutcome.Duplicate, again.Outcome);
        Assert.Equal(1L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", record.SopInstanceUid));
        Assert.Equal(1, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_studies WHERE study_instance_uid = $1", record.StudyInstanceUid));
    }

    [Fact]
    public async Task Commit_DifferentBytesSameSop_ReplacesAuditsAndReturnsObsoleteBlob()
    {
        var first = Record(Uid(), Uid());
        await CommitAsync(Grains, Db, first);
        var second = Record(first.StudyInstanceUid, first.SeriesInstanceUid, first.SopInstanceUid, content: "other bytes");

        var result = await CommitAsync(Grains, Db, second);

        Assert.Equal(CommitOutcome.Replaced, result.Outcome);
        Assert.Equal(first.BlobKey, result.ObsoleteBlobKey);
        Assert.Equal(second.BlobKey, await ScalarAsync<string>(Db, "SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", first.SopInstanceUid));
        Assert.Equal(1, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_studies WHERE study_instance_uid = $1", first.StudyInstanceUid));
        Assert.Equal(first.BlobKey, await ScalarAsync<string>(Db,
            "SELECT detail->>'obsoleteBlobKey' FROM pacs_audit_events WHERE kind = 'instance.replaced' AND sop_instance_uid = $1", first.SopInstanceUid));
        // The obsolete blob is kept as a 'replaced' copy for the retention (30 days by default), restorable; no intent
        // makes anyone delete it before.
        Assert.Equal(0L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_blob_intents WHERE blob_key = $1", first.BlobKey));
        Assert.Equal("replaced", await ScalarAsync<string>(Db, "SELECT kind FROM pacs_instance_copies WHERE blob_key = $1", first.BlobKey));
        Assert.True(await ScalarAsync<bool>(Db,
            "SELECT expires_at > now() + interval '29 days' AND expires_at < now() + interval '31 days' FROM pacs_instance_copies WHERE blob_key = $1", first.BlobKey));
    }

    [Fact]
    public async Task Commit_OfADiscardedBlob_FailsAndIndexesNothing()
    {
        var record = Record(Uid(), Uid());
        // What a discard leaves (BlobIntents.DiscardAsync) before it deletes the blob.
        await ExecuteAsync(Db, "INSERT INTO pacs_blob_tombstones (blob_key) VALUES ($1)", record.BlobKey);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => Grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(record.StudyInstanceUid)).CommitAsync(record));

        Assert.Contains("discarded", error.Message, StringComparison.Ordinal);

        Assert.Equal(0L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", record.SopInstanceUid));
    }

    [Fact]
    public async Task Commit_BatchWithOneDiscardedBlob_FailsOnlyThatOneAndIndexesTheRest()
    {
        var study = Uid();
        var series = Uid();
        var records = Enumerable.Range(0, 20).Select(_ => Record(study, series)).ToList();
        var orphan = records[7];
        await ExecuteAsync(Db, "INSERT INTO pacs_blob_tombstones (blob_key) VALUES ($1)", orphan.BlobKey);

        var grain = Grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study));
        var calls = records.Select(r => (Record: r, Call: Task.Run(() => grain.CommitAsync(r)))).ToList();

        foreach (var (record, call) in calls)
        {
            if (record == orphan)
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(() => call);
                Assert.Contains("discarded before the commit", error.Message, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(CommitOutcome.Stored, (await call).Outcome);
            }
        }

        Assert.Equal(0L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_instances WHERE sop_instance_uid = $1", orphan.SopInstanceUid));
        Assert.Equal(19, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal(0L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_blob_intents WHERE blob_key = ANY($1)", new object[] { records.Select(r => r.BlobKey).ToArray() }));
        Assert.Equal(1L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_blob_tombstones WHERE blob_key = $1", orphan.BlobKey));
    }

    [Fact]
    public async Task Commit_SopInstanceUidOfAnotherStudy_IsRefusedAndLeavesThatStudyAlone()
    {
        var elsewhere = Record(Uid(), Uid());
        await CommitAsync(Grains, Db, elsewhere);
        var study = Uid();
        var series = Uid();
        var clash = Record(study, series, elsewhere.SopInstanceUid, content: "other bytes");
        var fine = Record(study, series);
        await ExecuteAsync(Db, "INSERT INTO pacs_blob_intents (blob_key) VALUES ($1), ($2)", clash.BlobKey, fine.BlobKey);
        var grain = Grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study));

        var clashCall = Task.Run(() => grain.CommitAsync(clash));
        var fineCall = Task.Run(() => grain.CommitAsync(fine));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => clashCall);
        Assert.Contains("another study", error.Message, StringComparison.Ordinal);
        Assert.Equal(CommitOutcome.Stored, (await fineCall).Outcome);
        Assert.Equal(elsewhere.BlobKey, await ScalarAsync<string>(Db, "SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", elsewhere.SopInstanceUid));
        Assert.Equal(1, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_studies WHERE study_instance_uid = $1", study));
    }

    [Fact]
    public async Task Commit_TwoSeriesTwoClasses_DerivedAttributesAreRight()
    {
        var study = Uid();
        var ct = Uid();
        var mr = Uid();
        await CommitAsync(Grains, Db, Record(study, ct));
        await CommitAsync(Grains, Db, Record(study, ct));
        await CommitAsync(Grains, Db, Record(study, mr, modality: "MR", sopClass: MrImageStorage));

        Assert.Equal(["CT", "MR"], await ScalarAsync<string[]>(Db, "SELECT modalities_in_study FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal([CtImageStorage, MrImageStorage], await ScalarAsync<string[]>(Db, "SELECT sop_classes_in_study FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal(2, await ScalarAsync<int>(Db, "SELECT number_of_series FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal(3, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal(2, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_series WHERE series_instance_uid = $1", ct));
        Assert.Equal(1, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_series WHERE series_instance_uid = $1", mr));
    }

    [Fact]
    public async Task Commit_200ConcurrentForOneStudy_AllAcknowledgedOnceInFewerTransactions()
    {
        var study = Uid();
        var series = Enumerable.Range(0, 4).Select(_ => Uid()).ToArray();
        var records = Enumerable.Range(0, 200).Select(i => Record(study, series[i % 4])).ToList();
        foreach (var record in records)
        {
            await ExecuteAsync(Db, "INSERT INTO pacs_blob_intents (blob_key) VALUES ($1)", record.BlobKey);
        }

        long batches = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ArchiveMetrics.MeterName && instrument.Name == "pacs.study.commit.batches")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref batches, value));
        listener.Start();

        var results = await Task.WhenAll(records.Select(r => Task.Run(() =>
            Grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study)).CommitAsync(r))));

        Assert.All(results, r => Assert.Equal(CommitOutcome.Stored, r.Outcome));
        Assert.Equal(200L, await ScalarAsync<long>(Db,
            "SELECT count(DISTINCT i.sop_instance_uid) FROM pacs_instances i JOIN pacs_studies s ON s.study_key = i.study_key WHERE s.study_instance_uid = $1", study));
        Assert.Equal(200, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal(50, await ScalarAsync<int>(Db,
            "SELECT min(number_of_instances) FROM pacs_series WHERE series_instance_uid = ANY($1)", new object[] { series }));
        var transactions = Interlocked.Read(ref batches);
        Assert.InRange(transactions, 1, 199);
    }

    [Fact]
    public async Task CommitMany_NewCopyOfOneAndAnotherStudysSop_EachAnsweredInOrderInOneCallOneTransactionForTheNew()
    {
        var elsewhere = Record(Uid(), Uid());
        await CommitAsync(Grains, Db, elsewhere);
        var study = Uid();
        var series = Uid();
        var records = Enumerable.Range(0, 300).Select(_ => Record(study, series)).ToList();
        var clash = Record(study, series, elsewhere.SopInstanceUid, content: "other bytes");
        var sameAgain = records[0] with { BlobKey = records[0].BlobKey.Replace(".dcm", ".again.dcm", StringComparison.Ordinal) };
        var changed = Record(study, series, records[1].SopInstanceUid, content: "changed bytes");
        var call = records.Concat([clash, sameAgain, changed]).ToList();
        await ExecuteAsync(Db, "INSERT INTO pacs_blob_intents (blob_key) SELECT unnest($1::text[])", new object[] { call.Select(r => r.BlobKey).ToArray() });
        long batches = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ArchiveMetrics.MeterName && instrument.Name == "pacs.study.commit.batches")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref batches, value));
        listener.Start();

        var results = await Grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study)).CommitManyAsync(call);

        Assert.Equal(call.Count, results.Count);
        Assert.All(results.Take(300), r => Assert.Equal(CommitOutcome.Stored, r.Outcome));
        Assert.Equal(CommitOutcome.Failed, results[300].Outcome);
        Assert.Contains("another study", results[300].Error, StringComparison.Ordinal);
        Assert.Equal(CommitOutcome.Duplicate, results[301].Outcome);
        Assert.Equal(CommitOutcome.Replaced, results[302].Outcome); // after the first copy of its SOP Instance, not beside it
        Assert.Equal(records[1].BlobKey, results[302].ObsoleteBlobKey);
        Assert.Equal(300, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal(300, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_series WHERE series_instance_uid = $1", series));
        Assert.Equal(changed.BlobKey, await ScalarAsync<string>(Db, "SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", changed.SopInstanceUid));
        Assert.Equal(elsewhere.BlobKey, await ScalarAsync<string>(Db, "SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", elsewhere.SopInstanceUid));
        Assert.Equal(records[299].SopInstanceUid, await ScalarAsync<string>(Db,
            "SELECT header->'00080018'->'Value'->>0 FROM pacs_instances WHERE sop_instance_uid = $1", records[299].SopInstanceUid));
        Assert.Equal(512, await ScalarAsync<int>(Db, "SELECT rows FROM pacs_instances WHERE sop_instance_uid = $1", records[299].SopInstanceUid));
        // The 300 new ones and the clash in the first transaction (refused whole by the clash: the rest again), the
        // replacement in another: a handful, not one per instance.
        Assert.InRange(Interlocked.Read(ref batches), 1, 4);
    }

    [Fact]
    public async Task Delete_InstanceThenSeriesThenStudy_RemovesRowsAndRecomputes()
    {
        var study = Uid();
        var ct = Uid();
        var mr = Uid();
        var a = Record(study, ct);
        var b = Record(study, ct);
        var c = Record(study, mr, modality: "MR", sopClass: MrImageStorage);
        foreach (var r in new[] { a, b, c })
        {
            await CommitAsync(Grains, Db, r);
        }

        var grain = Grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study));

        Assert.Equal([a.BlobKey], await grain.DeleteAsync(null, a.SopInstanceUid));
        Assert.Equal(2, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal(1, await ScalarAsync<int>(Db, "SELECT number_of_instances FROM pacs_series WHERE series_instance_uid = $1", ct));

        Assert.Equal([c.BlobKey], await grain.DeleteAsync(mr, null));
        Assert.Equal(["CT"], await ScalarAsync<string[]>(Db, "SELECT modalities_in_study FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal(1, await ScalarAsync<int>(Db, "SELECT number_of_series FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal(0L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_series WHERE series_instance_uid = $1", mr));

        Assert.Equal([b.BlobKey], await grain.DeleteAsync(null, null));
        Assert.Equal(0L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_studies WHERE study_instance_uid = $1", study));
        Assert.Equal(3L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_blob_intents WHERE blob_key = ANY($1)", new object[] { new[] { a.BlobKey, b.BlobKey, c.BlobKey } }));

        // Storing again after a delete is a new instance, not a duplicate of what memory once held.
        Assert.Equal(CommitOutcome.Stored, (await CommitAsync(Grains, Db, a)).Outcome);
    }

    [Fact]
    public async Task PatientGrain_SecondStudyWithOtherDemographics_RecordsConflictKeepsFirst()
    {
        var patientId = "PAT-" + Uid()[^8..];
        var first = new PatientDemographics { PatientId = patientId, PatientName = "Smith^Anna", PatientBirthDate = "19800101", PatientSex = "F" };
        var second = first with { PatientName = "Smyth^Anna" };
        var studyA = Uid();
        var studyB = Uid();
        await CommitAsync(Grains, Db, Record(studyA, Uid(), patient: first));
        await CommitAsync(Grains, Db, Record(studyB, Uid(), patient: second));
        // Another instance of the second study: the conflict is not recorded twice.
        await CommitAsync(Grains, Db, Record(studyB, Uid(), patient: second));

        // Recorded in the commit's own transaction: there is nothing to wait for once the commit has answered.
        var summary = await Grains.GetGrain<IPatientGrain>(IPatientGrain.KeyFor("", patientId)).GetSummaryAsync();

        Assert.Equal("Smith^Anna", summary.Current.PatientName);
        Assert.Equal([studyA, studyB], summary.StudyInstanceUids);
        var conflict = Assert.Single(summary.Conflicts);
        Assert.Equal(("PatientName", "Smith^Anna", "Smyth^Anna", studyB), (conflict.Attribute, conflict.Existing, conflict.Incoming, conflict.StudyInstanceUid));
        Assert.Equal("Smith^Anna", await ScalarAsync<string>(Db, "SELECT patient_name FROM pacs_patients WHERE patient_id = $1", patientId));
        Assert.Equal(1L, await ScalarAsync<long>(Db,
            "SELECT count(*) FROM pacs_audit_events WHERE kind = 'patient.demographics-conflict' AND study_instance_uid = $1", studyB));
    }

    [Fact]
    public async Task PatientGrain_MissingValueArrivesLater_FilledInNotAConflict()
    {
        var patientId = "PAT-" + Uid()[^8..];
        var first = new PatientDemographics { PatientId = patientId, PatientName = "Lund^Eva", PatientBirthDate = "", PatientSex = "F" };
        await CommitAsync(Grains, Db, Record(Uid(), Uid(), patient: first));
        await CommitAsync(Grains, Db, Record(Uid(), Uid(), patient: first with { PatientBirthDate = "19910203", PatientSex = "" }));

        var summary = await Grains.GetGrain<IPatientGrain>(IPatientGrain.KeyFor("", patientId)).GetSummaryAsync();

        Assert.Equal(("Lund^Eva", "19910203", "F"), (summary.Current.PatientName, summary.Current.PatientBirthDate, summary.Current.PatientSex));
        Assert.Equal(2, summary.StudyInstanceUids.Count);
        Assert.Empty(summary.Conflicts);
    }

    [Fact]
    public async Task PatientGrain_TwoStudiesOfANewPatientAtOnce_TheRowKeepsOneAndTheOtherIsAConflict()
    {
        var patientId = "PAT-" + Uid()[^8..];
        var a = new PatientDemographics { PatientId = patientId, IssuerOfPatientId = "HOSP|A", PatientName = "Berg^Ola", PatientBirthDate = "19700101", PatientSex = "M" };
        var b = a with { PatientName = "Borg^Ola" };
        var studyA = Uid();
        var studyB = Uid();

        // Two study grains, two transactions, one new patient row: the upsert's row lock orders them.
        await Task.WhenAll(CommitAsync(Grains, Db, Record(studyA, Uid(), patient: a)), CommitAsync(Grains, Db, Record(studyB, Uid(), patient: b)));

        var summary = await Grains.GetGrain<IPatientGrain>(IPatientGrain.KeyFor("HOSP|A", patientId)).GetSummaryAsync();
        Assert.Equal("HOSP|A", summary.Current.IssuerOfPatientId);
        Assert.Equal(new[] { studyA, studyB }.Order(StringComparer.Ordinal), summary.StudyInstanceUids.Order(StringComparer.Ordinal));
        var conflict = Assert.Single(summary.Conflicts);
        var (kept, other, otherStudy) = summary.Current.PatientName == "Berg^Ola" ? ("Berg^Ola", "Borg^Ola", studyB) : ("Borg^Ola", "Berg^Ola", studyA);
        Assert.Equal(kept, summary.Current.PatientName);
        Assert.Equal(("PatientName", kept, other, otherStudy), (conflict.Attribute, conflict.Existing, conflict.Incoming, conflict.StudyInstanceUid));
    }

    [Theory]
    [InlineData("", "12345")]
    [InlineData("HOSP|A", "12|34")]
    [InlineData("%7C", "%|%25|")]
    [InlineData("a", "b|c")]
    [InlineData("a|b", "c")]
    public void PatientGrainKey_RoundTripsAndIsUniquePerPair(string issuer, string patientId)
    {
        var key = IPatientGrain.KeyFor(issuer, patientId);

        Assert.Equal((issuer, patientId), IPatientGrain.ParseKey(key));
        Assert.Single(key, '|');
    }
}

public sealed class RejectPolicyClusterFixture : ArchiveClusterFixture
{
    public RejectPolicyClusterFixture()
        : base(DuplicatePolicy.Reject)
    {
    }
}

public sealed class StudyGrainRejectPolicyTests(RejectPolicyClusterFixture fixture) : IClassFixture<RejectPolicyClusterFixture>
{
    [Fact]
    public async Task Commit_DifferentBytesUnderRejectPolicy_IsRejectedAndKeepsTheFirst()
    {
        var first = Record(Uid(), Uid());
        await CommitAsync(fixture.Cluster.GrainFactory, fixture.ConnectionString, first);
        var second = Record(first.StudyInstanceUid, first.SeriesInstanceUid, first.SopInstanceUid, content: "other bytes");

        var result = await CommitAsync(fixture.Cluster.GrainFactory, fixture.ConnectionString, second);

        Assert.Equal(CommitOutcome.Rejected, result.Outcome);
        Assert.Equal(first.BlobKey, await ScalarAsync<string>(fixture.ConnectionString,
            "SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", first.SopInstanceUid));
        Assert.Equal(0L, await ScalarAsync<long>(fixture.ConnectionString, "SELECT count(*) FROM pacs_audit_events WHERE kind = 'instance.replaced'"));
    }
}

public sealed class StudyGrainKeepFirstPolicyTests(KeepFirstPolicyClusterFixture fixture) : IClassFixture<KeepFirstPolicyClusterFixture>
{
    private IGrainFactory Grains => fixture.Cluster.GrainFactory;

    private string Db => fixture.ConnectionString;

    [Fact]
    public async Task Commit_DifferentBytesSameSop_StoredStaysAndTheCopyIsKeptAsideWithAnAuditEvent()
    {
        var first = Record(Uid(), Uid());
        await CommitAsync(Grains, Db, first);
        var second = Record(first.StudyInstanceUid, first.SeriesInstanceUid, first.SopInstanceUid, content: "other bytes");

        var result = await CommitAsync(Grains, Db, second);

        Assert.Equal(CommitOutcome.Conflict, result.Outcome);
        Assert.Equal(first.BlobKey, await ScalarAsync<string>(Db, "SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", first.SopInstanceUid));
        Assert.Equal("conflict", await ScalarAsync<string>(Db, "SELECT kind FROM pacs_instance_copies WHERE blob_key = $1", second.BlobKey));
        Assert.Equal(0L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_blob_intents WHERE blob_key = $1", second.BlobKey));
        Assert.Equal(first.BlobKey, await ScalarAsync<string>(Db,
            "SELECT detail->>'storedBlobKey' FROM pacs_audit_events WHERE kind = 'instance.conflict' AND sop_instance_uid = $1", first.SopInstanceUid));
    }

    [Fact]
    public async Task Commit_SameDifferentCopyAgain_KeptOnceAndTheRetryLeftToBeReclaimed()
    {
        var first = Record(Uid(), Uid());
        await CommitAsync(Grains, Db, first);
        var copy = Record(first.StudyInstanceUid, first.SeriesInstanceUid, first.SopInstanceUid, content: "other bytes");
        await CommitAsync(Grains, Db, copy);
        var retry = copy with { BlobKey = copy.BlobKey + ".retry" };

        var result = await CommitAsync(Grains, Db, retry);

        Assert.Equal(CommitOutcome.Conflict, result.Outcome);
        Assert.Equal(1L, await ScalarAsync<long>(Db, "SELECT count(*) FROM pacs_instance_copies WHERE sop_instance_uid = $1", first.SopInstanceUid));
        // Nothing uses the retry's blob: the caller's discard (or the reconciler, by its marker) deletes it.
        Assert.Equal(0L, await ScalarAsync<long>(Db,
            "SELECT (SELECT count(*) FROM pacs_instance_copies WHERE blob_key = $1) + (SELECT count(*) FROM pacs_instances WHERE blob_key = $1)", retry.BlobKey));
    }

    [Fact]
    public async Task Commit_Supersede_ReplacesWhateverThePolicyAndKeepsTheReplacedBlob()
    {
        var first = Record(Uid(), Uid());
        await CommitAsync(Grains, Db, first);
        var accepted = Record(first.StudyInstanceUid, first.SeriesInstanceUid, first.SopInstanceUid, content: "accepted bytes") with { Supersede = true };

        var result = await CommitAsync(Grains, Db, accepted);

        Assert.Equal(CommitOutcome.Replaced, result.Outcome);
        Assert.Equal(accepted.BlobKey, await ScalarAsync<string>(Db, "SELECT blob_key FROM pacs_instances WHERE sop_instance_uid = $1", first.SopInstanceUid));
        Assert.Equal("replaced", await ScalarAsync<string>(Db, "SELECT kind FROM pacs_instance_copies WHERE blob_key = $1", first.BlobKey));
    }
}
