using Npgsql;
using NpgsqlTypes;
using Pacs.Grains.Reports;

namespace Pacs.Index.Reports;

/// <summary>
/// The SQL of pacs_reports, pacs_report_versions and pacs_report_notifications (0130_reports.sql, 0150_report_sections.sql,
/// 0151_report_priority.sql; the worklist's indexes: 0176_worklist_order.sql): the only code that reads or writes them.
/// The report grain writes; the gateway reads the worklist (<see cref="WorklistStatement"/>) and a report's study header
/// here without activating grains.
/// </summary>
public sealed class ReportStore(NpgsqlDataSource dataSource)
{
    private const string VersionColumns =
        "study_instance_uid, version, status, language, technique, comparison, findings, impression, amendment_reason, author, signer, created_at, updated_at, signed_at, "
        + "clinical_information, recommendations, priority, critical";

    public async Task<bool> StudyExistsAsync(string studyInstanceUid, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1 FROM pacs_studies WHERE study_instance_uid = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>The current version and revision of a study's report (an empty state when it has none).</summary>
    public async Task<ReportState> LoadAsync(string studyInstanceUid, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT r.revision, {Prefixed("v.")} FROM pacs_reports r
            JOIN pacs_report_versions v ON v.study_instance_uid = r.study_instance_uid AND v.version = r.version
            WHERE r.study_instance_uid = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
        ReportState state;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return new ReportState();
            }

            state = new ReportState { Revision = reader.GetInt32(0), Current = ReadVersion(reader, 1) };
        }

        return state with { Notifications = await NotificationsAsync(studyInstanceUid, cancellationToken).ConfigureAwait(false) };
    }

    private async Task<IReadOnlyList<CriticalNotification>> NotificationsAsync(string studyInstanceUid, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT version, notified, method, notified_at, recorded_by, recorded_at FROM pacs_report_notifications
            WHERE study_instance_uid = $1 ORDER BY notification_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var notifications = new List<CriticalNotification>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            notifications.Add(new CriticalNotification
            {
                Version = reader.GetInt32(0),
                Notified = reader.GetString(1),
                Method = reader.GetString(2),
                NotifiedAt = reader.GetFieldValue<DateTimeOffset>(3),
                RecordedBy = reader.GetString(4),
                RecordedAt = reader.GetFieldValue<DateTimeOffset>(5),
            });
        }

        return notifications;
    }

    /// <summary>Records that a critical finding of the report was communicated (one row; the report must exist).</summary>
    public async Task AddNotificationAsync(string studyInstanceUid, CriticalNotification notification, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO pacs_report_notifications (study_instance_uid, version, notified, method, notified_at, recorded_by, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
        command.Parameters.Add(new NpgsqlParameter { Value = notification.Version });
        command.Parameters.Add(new NpgsqlParameter { Value = notification.Notified });
        command.Parameters.Add(new NpgsqlParameter { Value = notification.Method });
        command.Parameters.Add(new NpgsqlParameter { Value = notification.NotifiedAt });
        command.Parameters.Add(new NpgsqlParameter { Value = notification.RecordedBy });
        command.Parameters.Add(new NpgsqlParameter { Value = notification.RecordedAt });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ReportVersion>> HistoryAsync(string studyInstanceUid, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {VersionColumns} FROM pacs_report_versions WHERE study_instance_uid = $1 ORDER BY version");
        command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var versions = new List<ReportVersion>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(ReadVersion(reader, 0));
        }

        return versions;
    }

    /// <summary>
    /// Writes <paramref name="version"/> as the report's current version in one transaction, if the report is still at
    /// <paramref name="expectedRevision"/> (0: no report yet); returns false when another writer got there first. A
    /// signed version row is never rewritten. O(one version) per write.
    /// </summary>
    public async Task<bool> WriteAsync(ReportVersion version, int expectedRevision, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var head = expectedRevision == 0
            ? new NpgsqlCommand("""
                INSERT INTO pacs_reports (study_instance_uid, status, version, revision, author, signer, signed_at, priority, critical)
                VALUES ($1, $2, $3, 1, $4, $5, $6, $8, $9) ON CONFLICT (study_instance_uid) DO NOTHING
                """, connection, transaction)
            : new NpgsqlCommand("""
                UPDATE pacs_reports SET status = $2, version = $3, revision = revision + 1, author = $4, signer = $5, signed_at = $6,
                    priority = $8, critical = $9, updated_at = now()
                WHERE study_instance_uid = $1 AND revision = $7
                """, connection, transaction);
        await using (head)
        {
            head.Parameters.Add(new NpgsqlParameter { Value = version.StudyInstanceUid });
            head.Parameters.Add(new NpgsqlParameter { Value = version.Status });
            head.Parameters.Add(new NpgsqlParameter { Value = version.Version });
            head.Parameters.Add(new NpgsqlParameter { Value = version.Author });
            head.Parameters.Add(new NpgsqlParameter { Value = (object?)version.Signer ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            head.Parameters.Add(new NpgsqlParameter { Value = (object?)version.SignedAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            // $7 (the expected revision) is in the UPDATE only; the INSERT leaves it unused, typed so that it binds.
            head.Parameters.Add(new NpgsqlParameter { Value = expectedRevision, NpgsqlDbType = NpgsqlDbType.Integer });
            head.Parameters.Add(new NpgsqlParameter { Value = version.Content.Priority });
            head.Parameters.Add(new NpgsqlParameter { Value = version.Content.Critical });

            if (await head.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                return false;
            }
        }

        await using (var row = new NpgsqlCommand($"""
            INSERT INTO pacs_report_versions ({VersionColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
            ON CONFLICT (study_instance_uid, version) DO UPDATE SET status = excluded.status, language = excluded.language,
                technique = excluded.technique, comparison = excluded.comparison, findings = excluded.findings,
                impression = excluded.impression, clinical_information = excluded.clinical_information,
                recommendations = excluded.recommendations, priority = excluded.priority, critical = excluded.critical, author = excluded.author, signer = excluded.signer,
                updated_at = excluded.updated_at, signed_at = excluded.signed_at
            WHERE pacs_report_versions.signed_at IS NULL
            """, connection, transaction))
        {
            var c = version.Content;
            row.Parameters.Add(new NpgsqlParameter { Value = version.StudyInstanceUid });
            row.Parameters.Add(new NpgsqlParameter { Value = version.Version });
            row.Parameters.Add(new NpgsqlParameter { Value = version.Status });
            row.Parameters.Add(new NpgsqlParameter { Value = c.Language });
            row.Parameters.Add(new NpgsqlParameter { Value = c.Technique });
            row.Parameters.Add(new NpgsqlParameter { Value = c.Comparison });
            row.Parameters.Add(new NpgsqlParameter { Value = c.Findings });
            row.Parameters.Add(new NpgsqlParameter { Value = c.Impression });
            row.Parameters.Add(new NpgsqlParameter { Value = version.AmendmentReason });
            row.Parameters.Add(new NpgsqlParameter { Value = version.Author });
            row.Parameters.Add(new NpgsqlParameter { Value = (object?)version.Signer ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            row.Parameters.Add(new NpgsqlParameter { Value = version.CreatedAt });
            row.Parameters.Add(new NpgsqlParameter { Value = version.UpdatedAt });
            row.Parameters.Add(new NpgsqlParameter { Value = (object?)version.SignedAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            row.Parameters.Add(new NpgsqlParameter { Value = c.ClinicalInformation });
            row.Parameters.Add(new NpgsqlParameter { Value = c.Recommendations });
            row.Parameters.Add(new NpgsqlParameter { Value = c.Priority });
            row.Parameters.Add(new NpgsqlParameter { Value = c.Critical });
            if (await row.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                return false; // a signed version: immutable (the transaction is rolled back)
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The patient and study data a report's header shows; null for a study the archive does not hold.</summary>
    public async Task<ReportStudy?> StudyAsync(string studyInstanceUid, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT s.study_instance_uid, p.patient_name, p.patient_id, p.issuer_of_patient_id, p.patient_birth_date, p.patient_sex,
                   s.study_date, s.study_time, s.study_id, s.study_description, s.accession_number, s.referring_physician_name, s.modalities_in_study
            FROM pacs_studies s JOIN pacs_patients p ON p.patient_key = s.patient_key
            WHERE s.study_instance_uid = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new ReportStudy
        {
            StudyInstanceUid = reader.GetString(0),
            PatientName = reader.GetString(1),
            PatientId = reader.GetString(2),
            IssuerOfPatientId = reader.GetString(3),
            PatientBirthDate = reader.GetString(4),
            PatientSex = reader.GetString(5),
            StudyDate = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateOnly>(6),
            StudyTime = reader.GetString(7),
            StudyId = reader.GetString(8),
            StudyDescription = reader.GetString(9),
            AccessionNumber = reader.GetString(10),
            ReferringPhysicianName = reader.GetString(11),
            Modalities = reader.GetFieldValue<string[]>(12),
        };
    }

    /// <summary>
    /// Studies with their report status: critical findings first, then stat, urgent, routine (a study without a report
    /// is routine), then the newest study first; and how many match, exact up to <see cref="WorklistStatement.CountLimit"/>
    /// (or the end of the page). One round trip: the page and, for a page that ends before the count limit, the bounded
    /// count (<see cref="WorklistStatement"/> says why this shape); no grain activations.
    /// </summary>
    public async Task<WorklistPage> WorklistAsync(WorklistQuery query, CancellationToken cancellationToken)
    {
        var statement = WorklistStatement.Build(query);
        var items = new List<WorklistItem>();
        long? counted = null;
        await using (var batch = dataSource.CreateBatch())
        {
            var page = new NpgsqlBatchCommand(statement.PageSql);
            page.Parameters.AddRange(statement.PageParameters.ToArray());
            batch.BatchCommands.Add(page);
            if (statement.CountWithPage)
            {
                batch.BatchCommands.Add(Count(statement));
            }

            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(ReadWorklistItem(reader));
            }

            if (statement.CountWithPage)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                counted = reader.GetInt64(0);
            }
        }

        // The page asked for one row more than it shows: whether more follow.
        var rows = items.Count;
        if (rows > query.Limit)
        {
            items.RemoveAt(rows - 1);
        }

        if (counted is null && statement.TotalFromPage(rows, query.Limit) is { } fromPage)
        {
            return new WorklistPage(fromPage.Total, fromPage.Exact, items);
        }

        if (counted is null)
        {
            // An empty page past the first: how many there are, in a second round trip (rare: a stale "next").
            await using var batch = dataSource.CreateBatch();
            batch.BatchCommands.Add(Count(statement));
            counted = (long)(await batch.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        return counted > statement.CountBound
            ? new WorklistPage(statement.CountBound, false, items)
            : new WorklistPage(counted.Value, true, items);
    }

    private static NpgsqlBatchCommand Count(WorklistStatement statement)
    {
        var count = new NpgsqlBatchCommand(statement.CountSql);
        count.Parameters.AddRange(statement.CountParameters.ToArray());
        return count;
    }

    private static WorklistItem ReadWorklistItem(NpgsqlDataReader reader) => new()
    {
        StudyInstanceUid = reader.GetString(0),
        StudyDate = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateOnly>(1),
        StudyDescription = reader.GetString(2),
        AccessionNumber = reader.GetString(3),
        Modalities = reader.GetFieldValue<string[]>(4),
        PatientName = reader.GetString(5),
        PatientId = reader.GetString(6),
        ReportStatus = reader.GetString(7),
        ReportVersion = reader.IsDBNull(8) ? null : reader.GetInt32(8),
        Author = reader.IsDBNull(9) ? null : reader.GetString(9),
        Signer = reader.IsDBNull(10) ? null : reader.GetString(10),
        SignedAt = reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
        ReportUpdatedAt = reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
        Priority = reader.GetString(13),
        Critical = reader.GetBoolean(14),
    };

    private static string Prefixed(string prefix) => string.Join(", ", VersionColumns.Split(", ").Select(c => prefix + c));

    private static ReportVersion ReadVersion(NpgsqlDataReader reader, int at) => new()
    {
        StudyInstanceUid = reader.GetString(at),
        Version = reader.GetInt32(at + 1),
        Status = reader.GetString(at + 2),
        Content = new ReportContent
        {
            Language = reader.GetString(at + 3),
            Technique = reader.GetString(at + 4),
            Comparison = reader.GetString(at + 5),
            Findings = reader.GetString(at + 6),
            Impression = reader.GetString(at + 7),
            ClinicalInformation = reader.GetString(at + 14),
            Recommendations = reader.GetString(at + 15),
            Priority = reader.GetString(at + 16),
            Critical = reader.GetBoolean(at + 17),
        },
        AmendmentReason = reader.GetString(at + 8),
        Author = reader.GetString(at + 9),
        Signer = reader.IsDBNull(at + 10) ? null : reader.GetString(at + 10),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(at + 11),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(at + 12),
        SignedAt = reader.IsDBNull(at + 13) ? null : reader.GetFieldValue<DateTimeOffset>(at + 13),
    };
}
