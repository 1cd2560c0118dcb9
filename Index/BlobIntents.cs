using Npgsql;

namespace Pacs.Index;

/// <summary>
/// pacs_blob_intents: a blob key is recorded before its blob becomes visible, and removed by the study grain in the
/// transaction that indexes it. A key that is neither indexed nor claimed is an orphan. Reclaiming holds the intent
/// row's lock while it deletes the file, so that a writer re-using the key (its upsert waits on that lock) and the
/// grain (which claims intents first and fails instances whose intent is gone) can never lose a blob the index uses.
/// The blob store stays the gateway's: this class is given only its delete operation.
/// </summary>
public sealed class BlobIntents(NpgsqlDataSource dataSource, Func<string, CancellationToken, ValueTask> deleteBlob)
{
    /// <summary>Records (or refreshes) the intent to make <paramref name="key"/> visible.</summary>
    public async Task RecordAsync(string key, CancellationToken cancellationToken)
    {
        // Asynchronous commit: the row is visible at once (the grain's claim finds it), and it becomes durable no
        // later than the grain's synchronous COMMIT, which flushes the WAL past it. Waiting for a WAL flush of its
        // own would add a disk round trip to every instance; the only thing a database crash in between can lose is
        // the intent of a blob whose instance was never acknowledged (a storage leak, never a lost image).
        try
        {
            await InsertIntentAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e) when (e is PostgresException { SqlState: "57P01" or "57P02" or "57P03" }
            || (e is not PostgresException && e.InnerException is IOException or System.Net.Sockets.SocketException or EndOfStreamException))
        {
            // A pooled connection from before a PostgreSQL restart: nothing ran; clear the pool and insert again.
            dataSource.Clear();
            await InsertIntentAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task InsertIntentAsync(string key, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        // set_config(..., true) is SET LOCAL in a form PostgreSQL can prepare (a SET statement is parsed every time).
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('synchronous_commit', 'off', true)"));
        var insert = new NpgsqlBatchCommand("INSERT INTO pacs_blob_intents (blob_key) VALUES ($1) ON CONFLICT (blob_key) DO UPDATE SET created_at = now()");
        insert.Parameters.Add(new NpgsqlParameter { Value = key });
        batch.BatchCommands.Add(insert);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records the intents of blobs already in the store, in one statement (the index rebuild: a study folder's blobs
    /// at once). Synchronous commit, unlike <see cref="RecordAsync"/>: these blobs are visible already, and the grain
    /// that claims them may run on another connection at once.
    /// </summary>
    public async Task RecordManyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand("""
            INSERT INTO pacs_blob_intents (blob_key) SELECT unnest($1::text[])
            ON CONFLICT (blob_key) DO UPDATE SET created_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes the intents of <paramref name="keys"/> and nothing else: the blobs stay. For blobs that were already in the
    /// store before their intents were recorded (the index rebuild) and that the index turned out not to need.
    /// </summary>
    public async Task ForgetAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand("DELETE FROM pacs_blob_intents WHERE blob_key = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes the blobs of the given intents that the index does not use, and the intents themselves (also those
    /// of blobs the index does use: they are done). Returns the keys whose blobs were deleted.
    /// </summary>
    public Task<IReadOnlyList<string>> ReclaimAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken) =>
        ReclaimCoreAsync(keys.ToArray(), olderThan: null, limit: keys.Count, cancellationToken);

    /// <summary>
    /// Decides a commit whose grain call failed without a definite answer (the silo died after COMMIT, the answer was
    /// lost, the call timed out): true when the index holds <paramref name="sopInstanceUid"/> with OUR blob and hash,
    /// false when it does not, in which case our blob and intent are gone when this returns. Waiting for the intent
    /// row's lock (no SKIP LOCKED) lets a commit still in flight on PostgreSQL finish or roll back first; once it is
    /// released and the row deleted, a late commit of the same key is refused by the grain (its intent claim finds
    /// nothing), so the answer given here stays true. Throws when the database cannot decide (the caller then reports
    /// a failure and leaves the intent to the reconciler).
    /// </summary>
    public async Task<bool> SettleAsync(string key, string sopInstanceUid, byte[] contentHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var bound = new NpgsqlCommand("SET LOCAL lock_timeout = '10s'", connection, transaction))
        {
            // A commit wedged on a half-open connection must not hold this sender for ever.
            await bound.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        bool intentHeld;
        await using (var lockIntent = new NpgsqlCommand("SELECT 1 FROM pacs_blob_intents WHERE blob_key = $1 FOR UPDATE", connection, transaction))
        {
            lockIntent.Parameters.Add(new NpgsqlParameter { Value = key });
            intentHeld = await lockIntent.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
        }

        bool indexed;
        await using (var check = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pacs_instances WHERE sop_instance_uid = $1 AND blob_key = $2 AND content_sha256 = $3)", connection, transaction))
        {
            check.Parameters.Add(new NpgsqlParameter { Value = sopInstanceUid });
            check.Parameters.Add(new NpgsqlParameter { Value = key });
            check.Parameters.Add(new NpgsqlParameter { Value = contentHash });
            indexed = (bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (!indexed && intentHeld)
        {
            // Under the lock: no commit can claim this key any more once the row is gone.
            await deleteBlob(key, cancellationToken).ConfigureAwait(false);
        }

        if (intentHeld)
        {
            await using var delete = new NpgsqlCommand("DELETE FROM pacs_blob_intents WHERE blob_key = $1", connection, transaction);
            delete.Parameters.Add(new NpgsqlParameter { Value = key });
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return indexed;
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
