using Npgsql;

namespace Pacs.Index;

/// <summary>
/// The blob store's to-do lists in the index. pacs_blob_intents: blobs the index stopped using (a replaced or deleted
/// instance's), deleted by the caller or, failing that, by the reconciler when the index does not use them. A new blob from the ingest funnel has no intent: its marker in the blob store stands for it, and
/// <see cref="DiscardAsync"/> and <see cref="SettleAsync"/> decide its fate behind the fence of
/// <see cref="BlobTombstones"/> (0190_blob_tombstones.sql). Reclaiming an intent holds its row's lock while it deletes
/// the file, so that a writer re-using the key (its upsert waits on that lock) can never lose a blob the index uses.
/// The blob store stays the gateway's: this class is given only its delete operation.
/// </summary>
public sealed class BlobIntents(NpgsqlDataSource dataSource, Func<string, CancellationToken, ValueTask> deleteBlob)
{
    /// <summary>
    /// Deletes the blobs of the given intents that the index does not use, and the intents themselves (also those
    /// of blobs the index does use: they are done). Returns the keys whose blobs were deleted.
    /// </summary>
    public Task<IReadOnlyList<string>> ReclaimAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken) =>
        ReclaimCoreAsync(keys.ToArray(), olderThan: null, limit: keys.Count, cancellationToken);

    /// <summary>
    /// Deletes the new blob <paramref name="key"/> unless the index uses it (an instance or a kept-aside copy), and
    /// fences it off first: a tombstone is committed under the exclusive lock of its study folder before the file goes,
    /// so a commit of the key still in flight either landed before (the blob stays) or is refused after. Returns true
    /// when the blob was deleted. Throws when the database cannot decide (the blob stays; its marker lets the reconciler
    /// try again).
    /// </summary>
    public async Task<bool> DiscardAsync(string key, CancellationToken cancellationToken) =>
        !await FenceAsync(key, sopInstanceUid: null, contentHash: null, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Decides a commit whose grain call failed without a definite answer (the silo died after COMMIT, the answer was
    /// lost, the call timed out): true when the index holds <paramref name="sopInstanceUid"/> with OUR blob and hash,
    /// false when it does not, in which case our blob is gone when this returns and a late commit of it is refused (its
    /// key has a tombstone). Waiting for the study folder's lock lets a commit still in flight on PostgreSQL finish or
    /// roll back first. Throws when the database cannot decide (the caller then reports a failure and leaves the blob's
    /// marker to the reconciler).
    /// </summary>
    public Task<bool> SettleAsync(string key, string sopInstanceUid, byte[] contentHash, CancellationToken cancellationToken) =>
        FenceAsync(key, sopInstanceUid, contentHash, cancellationToken);

    /// <summary>
    /// Under the exclusive lock of the key's study folder: whether the index uses the key (with the SOP Instance UID and
    /// hash given, as our instance); if not, a tombstone for it, committed, and then the blob deleted.
    /// </summary>
    private async Task<bool> FenceAsync(string key, string? sopInstanceUid, byte[]? contentHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var bound = new NpgsqlCommand("SET LOCAL lock_timeout = '10s'", connection, transaction))
        {
            // A commit wedged on a half-open connection must not hold this caller for ever.
            await bound.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var fence = new NpgsqlCommand(BlobTombstones.LockFolderExclusive, connection, transaction))
        {
            fence.Parameters.Add(new NpgsqlParameter { Value = key });
            await fence.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        bool used;
        await using (var check = new NpgsqlCommand(sopInstanceUid is null
            ? "SELECT EXISTS (SELECT 1 FROM pacs_instances WHERE blob_key = $1) OR EXISTS (SELECT 1 FROM pacs_instance_copies WHERE blob_key = $1)"
            : "SELECT EXISTS (SELECT 1 FROM pacs_instances WHERE sop_instance_uid = $2 AND blob_key = $1 AND content_sha256 = $3)",
            connection, transaction))
        {
            check.Parameters.Add(new NpgsqlParameter { Value = key });
            if (sopInstanceUid is not null)
            {
                check.Parameters.Add(new NpgsqlParameter { Value = sopInstanceUid });
                check.Parameters.Add(new NpgsqlParameter { Value = contentHash! });
            }

            used = (bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (!used)
        {
            await using var tombstone = new NpgsqlCommand("INSERT INTO pacs_blob_tombstones (blob_key) VALUES ($1) ON CONFLICT (blob_key) DO NOTHING", connection, transaction);
            tombstone.Parameters.Add(new NpgsqlParameter { Value = key });
            await tombstone.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (!used)
        {
            await deleteBlob(key, cancellationToken).ConfigureAwait(false);
        }

        return used;
    }

    /// <summary>Removes tombstones older than <paramref name="olderThan"/>: no commit of their keys can still arrive.</summary>
    public async Task<int> PruneTombstonesAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM pacs_blob_tombstones WHERE created_at < $1");
        command.Parameters.Add(new NpgsqlParameter { Value = olderThan });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The reconciler's pass: orphan intents older than <paramref name="olderThan"/>, at most <paramref name="limit"/>.</summary>
    public Task<IReadOnlyList<string>> ReclaimOrphansAsync(DateTimeOffset olderThan, int limit, CancellationToken cancellationToken) =>
        ReclaimCoreAsync(null, olderThan, limit, cancellationToken);

    private async Task<IReadOnlyList<string>> ReclaimCoreAsync(string[]? keys, DateTimeOffset? olderThan, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var orphans = new List<string>();
        var done = new List<string>();
        await using (var select = new NpgsqlCommand("""
            SELECT b.blob_key, EXISTS (SELECT 1 FROM pacs_instances i WHERE i.blob_key = b.blob_key) AS indexed
            FROM pacs_blob_intents b
            WHERE ($1::text[] IS NULL OR b.blob_key = ANY($1)) AND ($2::timestamptz IS NULL OR b.created_at < $2)
            ORDER BY b.created_at
            LIMIT $3
            FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = (object?)keys ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            select.Parameters.Add(new NpgsqlParameter { Value = (object?)olderThan ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            select.Parameters.Add(new NpgsqlParameter { Value = limit });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (reader.GetBoolean(1) ? done : orphans).Add(reader.GetString(0));
            }
        }

        var deleted = new List<string>();
        foreach (var key in orphans)
        {
            try
            {
                await deleteBlob(key, cancellationToken).ConfigureAwait(false);
                deleted.Add(key);
            }
            catch (IOException)
            {
                // Keep the intent: the next pass tries again.
            }
        }

        done.AddRange(deleted);
        await using (var delete = new NpgsqlCommand("DELETE FROM pacs_blob_intents WHERE blob_key = ANY($1)", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = done.ToArray() });
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }
}
