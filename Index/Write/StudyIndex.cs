using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index.Write;

/// <summary>
/// The study grains' access to the index (0100_index.sql). Every write of a study happens in one transaction
/// sent as one <see cref="NpgsqlBatch"/>; the grain, not the database, decides what a batch contains.
/// </summary>
public sealed class StudyIndex(NpgsqlDataSource dataSource)
{
    public Task<StudySnapshot> LoadAsync(string studyInstanceUid, CancellationToken cancellationToken) =>
        StaleConnectionRetry.RunAsync(dataSource, () => LoadCoreAsync(studyInstanceUid, cancellationToken));

    public Task WriteBatchAsync(StudyBatch batch, CancellationToken cancellationToken) =>
        StaleConnectionRetry.RunAsync(dataSource, async () =>
        {
            await WriteBatchCoreAsync(batch, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public Task<IReadOnlyList<string>> DeleteAsync(string studyInstanceUid, string? seriesInstanceUid, string? sopInstanceUid, CancellationToken cancellationToken) =>
        StaleConnectionRetry.RunAsync(dataSource, () => DeleteCoreAsync(studyInstanceUid, seriesInstanceUid, sopInstanceUid, cancellationToken));

    private async Task<StudySnapshot> LoadCoreAsync(string studyInstanceUid, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Command("""
                    SELECT p.patient_id, p.issuer_of_patient_id, p.patient_name, p.patient_birth_date, p.patient_sex
                    FROM pacs_studies st JOIN pacs_patients p ON p.patient_key = st.patient_key
                    WHERE st.study_instance_uid = $1
                    """, studyInstanceUid),
                Command("""
                    SELECT s.series_instance_uid, s.modality, i.sop_instance_uid, i.sop_class_uid, i.content_sha256, i.blob_key, i.content_hash_algorithm
                    FROM pacs_studies st
                    JOIN pacs_series s ON s.study_key = st.study_key
                    LEFT JOIN pacs_instances i ON i.series_key = s.series_key
                    WHERE st.study_instance_uid = $1
                    """, studyInstanceUid),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var patient = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadPatient(reader) : null;

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var instances = new Dictionary<string, StoredInstance>(StringComparer.Ordinal);
        var series = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var seriesUid = reader.GetString(0);
            series[seriesUid] = reader.GetString(1);
            if (!reader.IsDBNull(2))
            {
                instances[reader.GetString(2)] = new StoredInstance(seriesUid, reader.GetString(3), reader.GetFieldValue<byte[]>(4), reader.GetString(6), reader.GetString(5));
            }
        }

        return new StudySnapshot(patient is not null, instances, series, patient);
    }

    /// <summary>
    /// Writes one batch in one transaction and one round trip (0101_batch_checks.sql). Throws
    /// <see cref="IndexRefusedException"/> (nothing written) when some instances cannot be accepted.
    /// </summary>
    private async Task WriteBatchCoreAsync(StudyBatch batch, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // No NpgsqlTransaction: the batch is one implicit transaction, committed (WAL flushed) before PostgreSQL
        // answers, and rolled back entirely when any statement fails.
        await using var commands = new NpgsqlBatch(connection);

        // Generic plans for this transaction's statements. They are prepared (Max Auto Prepare), but PostgreSQL kept
        // planning them afresh on every execution: the custom plan of a statement over unnest()ed arrays or a subquery
        // of a parameter looks cheaper than the generic one, though both are the same index look-ups, so the planner
        // never switched. That planning was a quarter of PostgreSQL's CPU per stored instance (docs/benchmarks.md,
        // "store-4 at 2× Orthanc"). set_config(..., true) is SET LOCAL in a form that is itself prepared.
        commands.BatchCommands.Add(Command("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"));

        // The blobs' fence first (BlobTombstones): the study folders' advisory lock, shared, then, in a statement of its
        // own (READ COMMITTED: its snapshot is taken once the lock is held), no key discarded. A discard waiting for the
        // lock finds the rows this transaction commits and keeps the blob; one that got there first left a tombstone.
        var keys = batch.Writes.Select(w => w.Record.BlobKey).ToArray();
        commands.BatchCommands.Add(Command(BlobTombstones.LockFoldersShared, new object[] { keys }));
        commands.BatchCommands.Add(Command(BlobTombstones.RequireNone, new object[] { keys }));
        foreach (var patient in batch.PatientUpserts)
        {
            commands.BatchCommands.Add(PatientUpsert(patient));
            commands.BatchCommands.Add(PatientConflicts(batch.StudyInstanceUid, patient));
        }

        commands.BatchCommands.Add(StudyUpsert(batch));
        foreach (var series in batch.Series)
        {
            commands.BatchCommands.Add(SeriesUpsert(batch.StudyInstanceUid, series));
        }

        foreach (var write in batch.Writes.Where(w => w.ObsoleteBlobKey is not null && w.RetainObsoleteFor > TimeSpan.Zero))
        {
            // Before the row is overwritten: the superseded instance becomes a 'replaced' copy an administrator can
            // restore until it expires (0104_instance_copies.sql); its blob stays where it is.
            var retain = Command("""
                INSERT INTO pacs_instance_copies (kind, study_instance_uid, series_instance_uid, sop_instance_uid, sop_class_uid,
                    transfer_syntax_uid, blob_key, blob_size, content_sha256, content_hash_algorithm, source, expires_at)
                SELECT 'replaced', s.study_instance_uid, se.series_instance_uid, i.sop_instance_uid, i.sop_class_uid,
                    i.transfer_syntax_uid, i.blob_key, i.blob_size, i.content_sha256, i.content_hash_algorithm, '', now() + $3
                FROM pacs_instances i JOIN pacs_series se ON se.series_key = i.series_key JOIN pacs_studies s ON s.study_key = i.study_key
                WHERE i.sop_instance_uid = $1 AND i.blob_key = $2
                ON CONFLICT (blob_key) DO NOTHING
                """, write.Record.SopInstanceUid, write.ObsoleteBlobKey!);
            retain.Parameters.Add(new NpgsqlParameter { Value = write.RetainObsoleteFor, NpgsqlDbType = NpgsqlDbType.Interval });
            commands.BatchCommands.Add(retain);
        }

        commands.BatchCommands.Add(InstanceUpserts(batch.Writes));

        foreach (var write in batch.Writes.Where(w => w.ObsoleteBlobKey is not null))
        {
            if (write.RetainObsoleteFor <= TimeSpan.Zero)
            {
                // The replaced blob becomes an intent: reclaimed by the caller at once, or by the reconciler if it dies.
                commands.BatchCommands.Add(Command(
                    "INSERT INTO pacs_blob_intents (blob_key) VALUES ($1) ON CONFLICT (blob_key) DO UPDATE SET created_at = now()",
                    write.ObsoleteBlobKey!));
            }

            commands.BatchCommands.Add(Audit("instance.replaced", write.Record.StudyInstanceUid, write.Record.SopInstanceUid, new Dictionary<string, string>
            {
                ["obsoleteBlobKey"] = write.ObsoleteBlobKey!,
                ["blobKey"] = write.Record.BlobKey,
                ["source"] = write.Record.Source,
            }));
        }

        try
        {
            await commands.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == "PC001")
        {
            // Rare (a commit that came after its blob was discarded): find out which, on the same connection.
            throw new IndexRefusedException(await DiscardedAsync(connection, batch, cancellationToken).ConfigureAwait(false));
        }
        catch (PostgresException e) when (e.SqlState == "PC002")
        {
            // One at a time: the grain retries the rest of the batch, which finds the next one if there is one.
            throw new IndexRefusedException(new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [e.MessageText] = "The SOP Instance UID is already stored in another study.",
            });
        }
    }

    private static async Task<IReadOnlyDictionary<string, string>> DiscardedAsync(NpgsqlConnection connection, StudyBatch batch, CancellationToken cancellationToken)
    {
        var discarded = new HashSet<string>(StringComparer.Ordinal);
        await using (var query = new NpgsqlCommand("SELECT blob_key FROM pacs_blob_tombstones WHERE blob_key = ANY($1)", connection))
        {
            query.Parameters.Add(new NpgsqlParameter { Value = batch.Writes.Select(w => w.Record.BlobKey).ToArray() });
            await using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                discarded.Add(reader.GetString(0));
            }
        }

        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        // None found (a tombstone pruned in between): the whole batch is refused rather than retried for ever.
        foreach (var write in batch.Writes.Where(w => discarded.Count == 0 || discarded.Contains(w.Record.BlobKey)))
        {
            refused[write.Record.SopInstanceUid] = "The blob was discarded before the commit; send the instance again.";
        }

        return refused;
    }

    /// <summary>
    /// Removes a study, one of its series or one instance, and recomputes the study's and series' derived
    /// attributes in the same transaction. The removed blob keys become intents (reclaimed by the caller or the
    /// reconciler) and are returned.
    /// </summary>
    private async Task<IReadOnlyList<string>> DeleteCoreAsync(string studyInstanceUid, string? seriesInstanceUid, string? sopInstanceUid, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var keys = new List<string>();
        var deleteSql = (seriesInstanceUid, sopInstanceUid) switch
        {
            (_, not null) => """
                DELETE FROM pacs_instances i USING pacs_studies st
                WHERE i.study_key = st.study_key AND st.study_instance_uid = $1 AND i.sop_instance_uid = $3
                  AND ($2::text IS NULL OR i.series_key = (SELECT series_key FROM pacs_series WHERE series_instance_uid = $2))
                RETURNING i.blob_key
                """,
            (not null, null) => """
                DELETE FROM pacs_instances i USING pacs_series s, pacs_studies st
                WHERE i.series_key = s.series_key AND s.study_key = st.study_key AND st.study_instance_uid = $1 AND s.series_instance_uid = $2
                RETURNING i.blob_key
                """,
            _ => """
                DELETE FROM pacs_instances i USING pacs_studies st
                WHERE i.study_key = st.study_key AND st.study_instance_uid = $1
                RETURNING i.blob_key
                """,
        };
        await using (var delete = new NpgsqlCommand(deleteSql, connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
            delete.Parameters.Add(new NpgsqlParameter { Value = (object?)seriesInstanceUid ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            delete.Parameters.Add(new NpgsqlParameter { Value = (object?)sopInstanceUid ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                keys.Add(reader.GetString(0));
            }
        }

        await using var commands = new NpgsqlBatch(connection, transaction);
        commands.BatchCommands.Add(Command("""
            INSERT INTO pacs_blob_intents (blob_key) SELECT unnest($1::text[])
            ON CONFLICT (blob_key) DO UPDATE SET created_at = now()
            """, new object[] { keys.ToArray() }));
        // Series without instances go; the study's derived attributes are recomputed from what is left (PS3.4 C.6.1.1.3).
        commands.BatchCommands.Add(Command("""
            UPDATE pacs_series s SET number_of_instances = (SELECT count(*) FROM pacs_instances i WHERE i.series_key = s.series_key), updated_at = now()
            FROM pacs_studies st WHERE s.study_key = st.study_key AND st.study_instance_uid = $1
            """, studyInstanceUid));
        commands.BatchCommands.Add(Command("""
            DELETE FROM pacs_series s USING pacs_studies st
            WHERE s.study_key = st.study_key AND st.study_instance_uid = $1 AND s.number_of_instances = 0
            """, studyInstanceUid));
        commands.BatchCommands.Add(Command("""
            UPDATE pacs_studies st SET
                number_of_series = (SELECT count(*) FROM pacs_series s WHERE s.study_key = st.study_key),
                number_of_instances = (SELECT count(*) FROM pacs_instances i WHERE i.study_key = st.study_key),
                modalities_in_study = ARRAY(SELECT DISTINCT s.modality FROM pacs_series s WHERE s.study_key = st.study_key AND s.modality <> '' ORDER BY 1),
                sop_classes_in_study = ARRAY(SELECT DISTINCT i.sop_class_uid FROM pacs_instances i WHERE i.study_key = st.study_key AND i.sop_class_uid <> '' ORDER BY 1),
                updated_at = now()
            WHERE st.study_instance_uid = $1
            """, studyInstanceUid));
        commands.BatchCommands.Add(Command("""
            DELETE FROM pacs_studies st WHERE st.study_instance_uid = $1 AND st.number_of_instances = 0
            """, studyInstanceUid));
        commands.BatchCommands.Add(Audit("instances.deleted", studyInstanceUid, sopInstanceUid, new Dictionary<string, string>
        {
            ["seriesInstanceUid"] = seriesInstanceUid ?? "",
            ["count"] = keys.Count.ToString(CultureInfo.InvariantCulture),
        }));
        await commands.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return keys;
    }

    /// <summary>
    /// A patient as the index knows it: the row's demographics (first committed wins, empty values filled), the
    /// patient's studies in the order they were first stored, and the conflicting demographics recorded.
    /// </summary>
    public Task<PatientSummary> LoadPatientSummaryAsync(string patientId, string issuerOfPatientId, CancellationToken cancellationToken) =>
        StaleConnectionRetry.RunAsync(dataSource, async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Command("""
                        SELECT patient_id, issuer_of_patient_id, patient_name, patient_birth_date, patient_sex
                        FROM pacs_patients WHERE patient_id = $1 AND issuer_of_patient_id = $2
                        """, patientId, issuerOfPatientId),
                    Command("""
                        SELECT st.study_instance_uid FROM pacs_studies st JOIN pacs_patients p ON p.patient_key = st.patient_key
                        WHERE p.patient_id = $1 AND p.issuer_of_patient_id = $2 ORDER BY st.study_key
                        """, patientId, issuerOfPatientId),
                    Command("""
                        SELECT c.study_instance_uid, c.attribute, c.existing, c.incoming, c.detected_at
                        FROM pacs_patient_conflicts c JOIN pacs_patients p ON p.patient_key = c.patient_key
                        WHERE p.patient_id = $1 AND p.issuer_of_patient_id = $2 ORDER BY c.detected_at, c.study_instance_uid, c.attribute
                        """, patientId, issuerOfPatientId),
                },
            };
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var current = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? ReadPatient(reader)
                : new PatientDemographics { PatientId = patientId, IssuerOfPatientId = issuerOfPatientId };
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            var studies = new List<string>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                studies.Add(reader.GetString(0));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            var conflicts = new List<DemographicsConflict>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                conflicts.Add(new DemographicsConflict(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4)));
            }

            return new PatientSummary(current, studies, conflicts);
        });

    /// <summary>A patient row's demographics from columns 0–4: id, issuer, name, birth date, sex.</summary>
    private static PatientDemographics ReadPatient(NpgsqlDataReader reader) => new()
    {
        PatientId = reader.GetString(0),
        IssuerOfPatientId = reader.GetString(1),
        PatientName = reader.GetString(2),
        PatientBirthDate = reader.GetString(3),
        PatientSex = reader.GetString(4),
    };

    public async Task AuditAsync(string kind, string? studyInstanceUid, string? sopInstanceUid, IReadOnlyDictionary<string, string> detail, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { Audit(kind, studyInstanceUid, sopInstanceUid, detail) } };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand PatientUpsert(PatientDemographics p)
    {
        // First seen wins: a later study with other demographics does not overwrite them (PatientConflicts records
        // the difference); empty values are filled in.
        var command = Command("""
            INSERT INTO pacs_patients (patient_id, issuer_of_patient_id, patient_name, patient_name_search, patient_birth_date, patient_sex, attributes)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (patient_id, issuer_of_patient_id) DO UPDATE SET
                patient_name = CASE WHEN pacs_patients.patient_name = '' THEN excluded.patient_name ELSE pacs_patients.patient_name END,
                patient_name_search = CASE WHEN pacs_patients.patient_name = '' THEN excluded.patient_name_search ELSE pacs_patients.patient_name_search END,
                patient_birth_date = CASE WHEN pacs_patients.patient_birth_date = '' THEN excluded.patient_birth_date ELSE pacs_patients.patient_birth_date END,
                patient_sex = CASE WHEN pacs_patients.patient_sex = '' THEN excluded.patient_sex ELSE pacs_patients.patient_sex END,
                attributes = CASE WHEN pacs_patients.attributes = '{}'::jsonb THEN excluded.attributes ELSE pacs_patients.attributes END,
                updated_at = now()
            """, p.PatientId, p.IssuerOfPatientId, p.PatientName, PersonNameSearch.Normalize(p.PatientName), p.PatientBirthDate, p.PatientSex);
        command.Parameters.Add(Json(p.AttributesJson));
        return command;
    }

    /// <summary>
    /// After <see cref="PatientUpsert"/>, in the same transaction: every non-empty value of <paramref name="p"/> that
    /// differs from the row's non-empty value is a conflict, recorded once per study, with its audit event. The upsert
    /// has locked the row, so two studies of one patient committing at once are compared in commit order.
    /// </summary>
    private static NpgsqlBatchCommand PatientConflicts(string studyInstanceUid, PatientDemographics p) => Command("""
        WITH patient AS (
            SELECT patient_key, patient_name, patient_birth_date, patient_sex
            FROM pacs_patients WHERE patient_id = $1 AND issuer_of_patient_id = $2),
        recorded AS (
            INSERT INTO pacs_patient_conflicts (patient_key, study_instance_uid, attribute, existing, incoming)
            SELECT patient.patient_key, $3, a.attribute, a.existing, a.incoming
            FROM patient CROSS JOIN LATERAL (VALUES
                ('PatientName', patient.patient_name, $4::text),
                ('PatientBirthDate', patient.patient_birth_date, $5::text),
                ('PatientSex', patient.patient_sex, $6::text)) AS a (attribute, existing, incoming)
            WHERE a.existing <> '' AND a.incoming <> '' AND a.existing <> a.incoming
            ON CONFLICT DO NOTHING
            RETURNING attribute, existing, incoming)
        INSERT INTO pacs_audit_events (kind, study_instance_uid, detail)
        SELECT 'patient.demographics-conflict', $3,
            jsonb_build_object('patient', $7::text, 'attribute', attribute, 'existing', existing, 'incoming', incoming)
        FROM recorded
        """, p.PatientId, p.IssuerOfPatientId, studyInstanceUid, p.PatientName, p.PatientBirthDate, p.PatientSex,
        IPatientGrain.KeyFor(p.IssuerOfPatientId, p.PatientId));

    private static NpgsqlBatchCommand StudyUpsert(StudyBatch b)
    {
        var s = b.Study;
        var command = Command("""
            INSERT INTO pacs_studies (study_instance_uid, patient_key, study_date, study_time, accession_number, study_id, study_description,
                referring_physician_name, referring_physician_search, modalities_in_study, sop_classes_in_study, number_of_series, number_of_instances, attributes,
                access_groups)
            VALUES ($1, (SELECT patient_key FROM pacs_patients WHERE patient_id = $2 AND issuer_of_patient_id = $3), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
            ON CONFLICT (study_instance_uid) DO UPDATE SET
                patient_key = excluded.patient_key, study_date = excluded.study_date, study_time = excluded.study_time,
                accession_number = excluded.accession_number, study_id = excluded.study_id, study_description = excluded.study_description,
                referring_physician_name = excluded.referring_physician_name, referring_physician_search = excluded.referring_physician_search,
                modalities_in_study = excluded.modalities_in_study, sop_classes_in_study = excluded.sop_classes_in_study,
                number_of_series = excluded.number_of_series, number_of_instances = excluded.number_of_instances,
                attributes = excluded.attributes, updated_at = now(),
                access_groups = CASE WHEN excluded.access_groups <@ pacs_studies.access_groups THEN pacs_studies.access_groups
                    ELSE ARRAY(SELECT DISTINCT g FROM unnest(pacs_studies.access_groups || excluded.access_groups) AS g ORDER BY 1) END
            """, b.StudyInstanceUid, b.Patient.PatientId, b.Patient.IssuerOfPatientId);
        command.Parameters.Add(Date(s.StudyDate));
        foreach (var value in new[] { s.StudyTime, s.AccessionNumber, s.StudyId, s.StudyDescription, s.ReferringPhysicianName, PersonNameSearch.Normalize(s.ReferringPhysicianName) })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        command.Parameters.Add(new NpgsqlParameter { Value = b.ModalitiesInStudy.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = b.SopClassesInStudy.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = b.NumberOfSeries });
        command.Parameters.Add(new NpgsqlParameter { Value = b.NumberOfInstances });
        command.Parameters.Add(Json(s.AttributesJson));
        command.Parameters.Add(new NpgsqlParameter { Value = b.AccessGroups.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        return command;
    }

    private static NpgsqlBatchCommand SeriesUpsert(string studyInstanceUid, SeriesSummary series)
    {
        var a = series.Attributes;
        var command = Command("""
            INSERT INTO pacs_series (series_instance_uid, study_key, modality, series_number, series_description, series_date, series_time,
                body_part_examined, number_of_instances, attributes)
            VALUES ($1, (SELECT study_key FROM pacs_studies WHERE study_instance_uid = $2), $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (series_instance_uid) DO UPDATE SET
                modality = excluded.modality, series_number = excluded.series_number, series_description = excluded.series_description,
                series_date = excluded.series_date, series_time = excluded.series_time, body_part_examined = excluded.body_part_examined,
                number_of_instances = excluded.number_of_instances, attributes = excluded.attributes, updated_at = now()
            WHERE pacs_series.study_key = excluded.study_key
            """, series.SeriesInstanceUid, studyInstanceUid, a.Modality);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)a.SeriesNumber ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = a.SeriesDescription });
        command.Parameters.Add(Date(a.SeriesDate));
        command.Parameters.Add(new NpgsqlParameter { Value = a.SeriesTime });
        command.Parameters.Add(new NpgsqlParameter { Value = a.BodyPartExamined });
        command.Parameters.Add(new NpgsqlParameter { Value = series.NumberOfInstances });
        command.Parameters.Add(Json(a.AttributesJson));
        return command;
    }

    /// <summary>
    /// Every instance row of the batch in one statement (arrays unnested into rows): PostgreSQL parses and plans it
    /// once, where a statement per instance was planned per instance. The grain never puts two copies of one SOP
    /// Instance UID in a batch (ON CONFLICT could not update a row twice).
    /// </summary>
    private static NpgsqlBatchCommand InstanceUpserts(IReadOnlyList<IndexedWrite> writes)
    {
        // ON CONFLICT ... WHERE same study: a SOP Instance UID stored under another study is left alone, and the
        // check fails the batch (PC002) naming the first such SOP Instance UID.
        var command = Command("""
            WITH incoming AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::text[], $7::integer[], $8::integer[],
                    $9::integer[], $10::text[], $11::bigint[], $12::bytea[], $13::jsonb[], $14::text[])
                AS u (sop_instance_uid, series_instance_uid, study_instance_uid, sop_class_uid, instance_number, transfer_syntax_uid,
                    number_of_frames, rows, columns, blob_key, blob_size, content_sha256, header, content_hash_algorithm)),
            landed AS (
                INSERT INTO pacs_instances (sop_instance_uid, series_key, study_key, sop_class_uid, instance_number, transfer_syntax_uid,
                    number_of_frames, rows, columns, blob_key, blob_size, content_sha256, header, content_hash_algorithm)
                SELECT r.sop_instance_uid, (SELECT series_key FROM pacs_series WHERE series_instance_uid = r.series_instance_uid),
                    (SELECT study_key FROM pacs_studies WHERE study_instance_uid = r.study_instance_uid),
                    r.sop_class_uid, r.instance_number, r.transfer_syntax_uid, r.number_of_frames, r.rows, r.columns, r.blob_key,
                    r.blob_size, r.content_sha256, r.header, r.content_hash_algorithm
                FROM incoming r
                ON CONFLICT (sop_instance_uid) DO UPDATE SET
                    series_key = excluded.series_key, sop_class_uid = excluded.sop_class_uid, instance_number = excluded.instance_number,
                    transfer_syntax_uid = excluded.transfer_syntax_uid, number_of_frames = excluded.number_of_frames, rows = excluded.rows,
                    columns = excluded.columns, blob_key = excluded.blob_key, blob_size = excluded.blob_size,
                    content_sha256 = excluded.content_sha256, content_hash_algorithm = excluded.content_hash_algorithm,
                    header = excluded.header, created_at = now()
                WHERE pacs_instances.study_key = excluded.study_key
                RETURNING sop_instance_uid),
            refused AS (
                SELECT (SELECT r.sop_instance_uid FROM incoming r
                        WHERE NOT EXISTS (SELECT 1 FROM landed l WHERE l.sop_instance_uid = r.sop_instance_uid) LIMIT 1) AS sop_instance_uid)
            SELECT pacs_require(sop_instance_uid IS NULL, 'PC002', coalesce(sop_instance_uid, '')) FROM refused
            """);
        var n = writes.Count;
        var sops = new string[n];
        var series = new string[n];
        var studies = new string[n];
        var classes = new string[n];
        var numbers = new int?[n];
        var syntaxes = new string[n];
        var frames = new int?[n];
        var rows = new int?[n];
        var columns = new int?[n];
        var keys = new string[n];
        var sizes = new long[n];
        var hashes = new byte[n][];
        var headers = new string[n];
        var algorithms = new string[n];
        for (var i = 0; i < n; i++)
        {
            var r = writes[i].Record;
            (sops[i], series[i], studies[i], classes[i]) = (r.SopInstanceUid, r.SeriesInstanceUid, r.StudyInstanceUid, r.SopClassUid);
            (numbers[i], syntaxes[i], frames[i], rows[i], columns[i]) = (r.InstanceNumber, r.TransferSyntaxUid, r.NumberOfFrames, r.Rows, r.Columns);
            (keys[i], sizes[i], hashes[i], algorithms[i]) = (r.BlobKey, r.BlobSize, r.ContentHash, r.ContentHashAlgorithm);
            headers[i] = r.HeaderJson.Length == 0 ? "{}" : Encoding.UTF8.GetString(r.HeaderJson);
        }

        command.Parameters.Add(TextArray(sops));
        command.Parameters.Add(TextArray(series));
        command.Parameters.Add(TextArray(studies));
        command.Parameters.Add(TextArray(classes));
        command.Parameters.Add(new NpgsqlParameter { Value = numbers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(TextArray(syntaxes));
        command.Parameters.Add(new NpgsqlParameter { Value = frames, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = rows, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = columns, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(TextArray(keys));
        command.Parameters.Add(new NpgsqlParameter { Value = sizes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = hashes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        command.Parameters.Add(new NpgsqlParameter { Value = headers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(TextArray(algorithms));
        return command;
    }

    private static NpgsqlParameter TextArray(string[] values) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    /// <summary>
    /// Keeps <paramref name="record"/>'s blob aside as a 'conflict' copy of the stored instance (keep-first policy),
    /// with its audit event, behind the blobs' fence (<see cref="BlobTombstones"/>) in the same transaction. False when
    /// the same bytes are already kept aside (a sender's retry): nothing is written and the caller's discard deletes the
    /// new blob. Throws <see cref="IndexRefusedException"/> when the blob was discarded already.
    /// </summary>
    public async Task<bool> KeepConflictAsync(InstanceRecord record, string storedBlobKey, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One implicit transaction, as the study batch: the fence's two statements, then the copy.
        await using var commands = new NpgsqlBatch(connection);
        commands.BatchCommands.Add(Command(BlobTombstones.LockFoldersShared, new object[] { new[] { record.BlobKey } }));
        commands.BatchCommands.Add(Command(BlobTombstones.RequireNone, new object[] { new[] { record.BlobKey } }));
        var keep = Command("""
            WITH kept AS (
                INSERT INTO pacs_instance_copies (kind, study_instance_uid, series_instance_uid, sop_instance_uid, sop_class_uid,
                    transfer_syntax_uid, blob_key, blob_size, content_sha256, source, content_hash_algorithm)
                SELECT 'conflict', $1, $2, $3, $4, $5, $6, $7, $8, $9, $11
                WHERE NOT EXISTS (SELECT 1 FROM pacs_instance_copies
                                  WHERE sop_instance_uid = $3 AND content_sha256 = $8 AND content_hash_algorithm = $11 AND kind = 'conflict')
                RETURNING copy_id
            ), audited AS (
                INSERT INTO pacs_audit_events (kind, study_instance_uid, sop_instance_uid, detail)
                SELECT 'instance.conflict', $1, $3,
                       jsonb_build_object('copyId', copy_id, 'blobKey', $6::text, 'storedBlobKey', $10::text, 'source', $9::text)
                FROM kept
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM kept) + 0 * (SELECT count(*) FROM audited)
            """,
            record.StudyInstanceUid, record.SeriesInstanceUid, record.SopInstanceUid, record.SopClassUid, record.TransferSyntaxUid,
            record.BlobKey, record.BlobSize);
        keep.Parameters.Add(new NpgsqlParameter { Value = record.ContentHash, NpgsqlDbType = NpgsqlDbType.Bytea });
        keep.Parameters.Add(new NpgsqlParameter { Value = record.Source });
        keep.Parameters.Add(new NpgsqlParameter { Value = storedBlobKey });
        keep.Parameters.Add(new NpgsqlParameter { Value = record.ContentHashAlgorithm });
        commands.BatchCommands.Add(keep);
        try
        {
            await using var reader = await commands.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return reader.GetInt64(0) > 0;
        }
        catch (PostgresException e) when (e.SqlState == "PC001")
        {
            throw new IndexRefusedException(new Dictionary<string, string>(StringComparer.Ordinal) { [record.SopInstanceUid] = "blob discarded" });
        }
    }

    private static NpgsqlBatchCommand Audit(string kind, string? studyInstanceUid, string? sopInstanceUid, IReadOnlyDictionary<string, string> detail)
    {
        var command = Command("INSERT INTO pacs_audit_events (kind, study_instance_uid, sop_instance_uid, detail) VALUES ($1, $2, $3, $4)");
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)studyInstanceUid ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)sopInstanceUid ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = System.Text.Json.JsonSerializer.Serialize(detail), NpgsqlDbType = NpgsqlDbType.Jsonb });
        return command;
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private static NpgsqlParameter Int(int? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    private static NpgsqlParameter Json(byte[] utf8) =>
        new() { Value = utf8.Length == 0 ? "{}" : Encoding.UTF8.GetString(utf8), NpgsqlDbType = NpgsqlDbType.Jsonb };

    /// <summary>DA (PS3.5 6.2: YYYYMMDD) as a date; null when absent or unparseable (lenient: the text stays in the JSON).</summary>
    private static NpgsqlParameter Date(string da) => new()
    {
        Value = DateOnly.TryParseExact(da.Trim(), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : DBNull.Value,
        NpgsqlDbType = NpgsqlDbType.Date,
    };
}
