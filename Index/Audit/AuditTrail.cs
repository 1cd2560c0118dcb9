using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Pacs.Index.Audit;

/// <summary>
/// Writes, reads and verifies pacs_audit_events, the hash-chained append-only audit trail (0140_audit_chain.sql).
/// The chain itself is computed by the table's insert trigger, so every writer (gateways, silos) chains alike.
/// </summary>
public sealed class AuditTrail(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 1000;

    /// <summary>Appends the records in one statement (one transaction, one round trip), in list order.</summary>
    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }

        var n = records.Count;
        var time = new DateTimeOffset[n];
        var actor = new string[n];
        var role = new string[n];
        var client = new string[n];
        var session = new string[n];
        var action = new string[n];
        var outcome = new string[n];
        var patient = new string?[n];
        var study = new string?[n];
        var sop = new string?[n];
        var detail = new string[n];
        for (var i = 0; i < n; i++)
        {
            var r = records[i];
            time[i] = r.Time.ToUniversalTime();
            actor[i] = r.Actor;
            role[i] = r.Role;
            client[i] = r.ClientAddress;
            session[i] = r.SessionId;
            action[i] = r.Action;
            outcome[i] = r.Outcome;
            patient[i] = r.PatientId;
            study[i] = r.StudyInstanceUid;
            sop[i] = r.SopInstanceUid;
            detail[i] = r.Detail is { Count: > 0 } d ? JsonSerializer.Serialize(d) : "{}";
        }

        // WITH ORDINALITY + ORDER BY: the trigger chains the rows in the order they were recorded.
        await using var command = dataSource.CreateCommand("""
            INSERT INTO pacs_audit_events (occurred_at, actor, role, client_address, session_id, kind, outcome, patient_id,
                study_instance_uid, sop_instance_uid, detail)
            SELECT t, a, r, c, s, k, o, p, st, sp, d::jsonb
            FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                        $9::text[], $10::text[], $11::text[]) WITH ORDINALITY AS x (t, a, r, c, s, k, o, p, st, sp, d, n)
            ORDER BY n
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = time, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        foreach (var column in new object[] { actor, role, client, session, action, outcome, patient, study, sop, detail })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = column, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Recomputes the whole chain in the database (pacs_audit_verify()).</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT checked, broken_seq, broken_event_key, reason FROM pacs_audit_verify()");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new AuditVerification(reader.GetInt64(0),
            reader.IsDBNull(1) ? null : reader.GetInt64(1),
            reader.IsDBNull(2) ? null : reader.GetInt64(2),
            reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    private const string Columns = """
        SELECT event_key, chain_seq, occurred_at, actor, role, client_address, session_id, kind, outcome, patient_id,
               study_instance_uid, sop_instance_uid, detail::text, encode(row_hash, 'hex')
        FROM pacs_audit_events
        """;

    /// <summary>
    /// One page, newest first by time (occurred_at, then event key); pass the last row's event key as
    /// <see cref="AuditFilter.Before"/> for the next. Only the given filters are in the statement, so that each
    /// combination is planned with its own index (pacs_audit_events_time (occurred_at, event_key), or the actor,
    /// patient or study index): a "$1 IS NULL OR ..." form would leave a prepared statement's generic plan no index.
    /// </summary>
    public async Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditFilter filter, CancellationToken cancellationToken)
    {
        var (sql, parameters) = QuerySql(filter);
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }

        return await ReadPageAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The statement <see cref="QueryAsync"/> sends for <paramref name="filter"/> (positional parameters).</summary>
    public static (string Sql, IReadOnlyList<NpgsqlParameter> Parameters) QuerySql(AuditFilter filter)
    {
        var where = new List<string>();
        var parameters = new List<NpgsqlParameter>();
        string Param(object value, NpgsqlDbType type)
        {
            parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
            return "$" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (filter.From is { } from)
        {
            where.Add("occurred_at >= " + Param(from, NpgsqlDbType.TimestampTz));
        }

        if (filter.To is { } to)
        {
            where.Add("occurred_at < " + Param(to, NpgsqlDbType.TimestampTz));
        }

        foreach (var (column, value) in new[] { ("actor", filter.Actor), ("kind", filter.Action), ("patient_id", filter.PatientId),
                     ("study_instance_uid", filter.StudyInstanceUid), ("outcome", filter.Outcome) })
        {
            if (value is not null)
            {
                where.Add(column + " = " + Param(value, NpgsqlDbType.Text));
            }
        }

        if (filter.Before is { } before)
        {
            // Keyset: the rows after the cursor row in (occurred_at, event_key) descending order; a row comparison the
            // index serves. A key that is no row's (never handed out as "next") matches nothing.
            var key = Param(before, NpgsqlDbType.Bigint);
            where.Add($"(occurred_at, event_key) < ((SELECT c.occurred_at FROM pacs_audit_events c WHERE c.event_key = {key}), {key})");
        }

        var limit = Param(Math.Clamp(filter.Limit, 1, MaxPageSize), NpgsqlDbType.Integer);
        var sql = Columns + (where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where)) + " ORDER BY occurred_at DESC, event_key DESC LIMIT " + limit;
        return (sql, parameters);
    }

    /// <summary>One row by its event key, or null.</summary>
    public async Task<AuditEvent?> GetAsync(long eventKey, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Columns + " WHERE event_key = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = eventKey, NpgsqlDbType = NpgsqlDbType.Bigint });
        var rows = await ReadPageAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// One page of the rows of [<paramref name="from"/>, <paramref name="to"/>) in time order (occurred_at, then event
    /// key), after the row with event key <paramref name="after"/> (0 for the first page; then the last key of the page
    /// before): the export's reads, one short query per page so that a long export holds neither a transaction nor more
    /// than a page in memory. Each page is a range scan of pacs_audit_events_time (occurred_at, event_key) from the
    /// cursor: an export costs what its range holds, not the whole table.
    /// </summary>
    public async Task<IReadOnlyList<AuditEvent>> RangeAsync(DateTimeOffset from, DateTimeOffset to, long after, int limit, CancellationToken cancellationToken)
    {
        var cursor = after <= 0 ? "" : " AND (occurred_at, event_key) > ((SELECT c.occurred_at FROM pacs_audit_events c WHERE c.event_key = $4), $4)";
        await using var command = dataSource.CreateCommand(Columns + " WHERE occurred_at >= $1 AND occurred_at < $2" + cursor
            + " ORDER BY occurred_at, event_key LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter { Value = from, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = to, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Clamp(limit, 1, MaxPageSize), NpgsqlDbType = NpgsqlDbType.Integer });
        if (after > 0)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = after, NpgsqlDbType = NpgsqlDbType.Bigint });
        }

        return await ReadPageAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<AuditEvent>> ReadPageAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var page = new List<AuditEvent>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            page.Add(new AuditEvent(reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetString(11), reader.GetString(12), reader.GetString(13)));
        }

        return page;
    }
}
