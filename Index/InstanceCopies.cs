using Npgsql;
using NpgsqlTypes;

namespace Pacs.Index;

/// <summary>
/// The kept copies of instances (pacs_instance_copies, migration 0104, written by the study grains): read for the
/// conflicts API, deleted with their blobs when an administrator accepts or discards one, and swept when a replaced
/// copy's retention ends. A copy's row is locked while its blob is deleted, so two gateways never race on it. The
/// blob store stays the gateway's: this class is given only its delete operation.
/// </summary>
public sealed class InstanceCopies(NpgsqlDataSource dataSource, Func<string, CancellationToken, ValueTask> deleteBlob)
{
    public const string Conflict = "conflict";
    public const string Replaced = "replaced";

    private const string Columns = """
        copy_id, kind, study_instance_uid, series_instance_uid, sop_instance_uid, sop_class_uid, transfer_syntax_uid,
        blob_key, blob_size, content_sha256, source, created_at, expires_at, content_hash_algorithm
        """;

    /// <summary>Copies of one kind (all when null), oldest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<InstanceCopy>> ListAsync(string? kind, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM pacs_instance_copies WHERE $1::text IS NULL OR kind = $1 ORDER BY copy_id LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)kind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<InstanceCopy?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM pacs_instance_copies WHERE copy_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (await ReadAsync(command, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
    }

    /// <summary>
    /// Deletes a copy and its blob, recording <paramref name="auditKind"/> (with <paramref name="actor"/>) in
    /// pacs_audit_events in the same transaction; false when there is no such copy (any more).
    /// </summary>
    public async Task<bool> DeleteAsync(long id, string auditKind, string actor, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var delete = new NpgsqlCommand("""
            WITH gone AS (DELETE FROM pacs_instance_copies WHERE copy_id = $1 RETURNING *)
            INSERT INTO pacs_audit_events (kind, study_instance_uid, sop_instance_uid, detail)
            SELECT $2, study_instance_uid, sop_instance_uid,
                   jsonb_build_object('copyId', copy_id, 'copyKind', kind, 'blobKey', blob_key, 'by', $3::text)
            FROM gone
            RETURNING detail->>'blobKey'
            """, connection, transaction);
        delete.Parameters.Add(new NpgsqlParameter { Value = id });
        delete.Parameters.Add(new NpgsqlParameter { Value = auditKind });
        delete.Parameters.Add(new NpgsqlParameter { Value = actor });
        if (await delete.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string key)
        {
            return false;
        }

        // Under the row's lock, before COMMIT: a failure here rolls the row back and the copy stays listed.
        await deleteBlob(key, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Replaced copies whose retention has ended lose their blob and their row; returns how many went.</summary>
    public async Task<int> SweepExpiredAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var expired = new List<(long Id, string Key)>();
        await using (var select = new NpgsqlCommand("""
            SELECT copy_id, blob_key FROM pacs_instance_copies
            WHERE expires_at < now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = limit });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                expired.Add((reader.GetInt64(0), reader.GetString(1)));
            }
        }

        var swept = new List<long>();
        foreach (var (id, key) in expired)
        {
            try
            {
                await deleteBlob(key, cancellationToken).ConfigureAwait(false);
                swept.Add(id);
            }
            catch (IOException)
            {
                // Kept: the next pass tries again.
            }
        }

        await using (var delete = new NpgsqlCommand("""
            WITH gone AS (DELETE FROM pacs_instance_copies WHERE copy_id = ANY($1) RETURNING *)
            INSERT INTO pacs_audit_events (kind, study_instance_uid, sop_instance_uid, detail)
            SELECT 'instance.copy.expired', study_instance_uid, sop_instance_uid,
                   jsonb_build_object('copyId', copy_id, 'copyKind', kind, 'blobKey', blob_key)
            FROM gone
            """, connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = swept.ToArray() });
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return swept.Count;
    }

    private static async Task<IReadOnlyList<InstanceCopy>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var copies = new List<InstanceCopy>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            copies.Add(new InstanceCopy(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetString(6), reader.GetString(7), reader.GetInt64(8), Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(9)),
                reader.GetString(10), reader.GetFieldValue<DateTimeOffset>(11),
                reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12), reader.GetString(13)));
        }

        return copies;
    }
}
