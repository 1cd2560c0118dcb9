using Microsoft.Extensions.Options;
using Npgsql;
using Pacs.Gateway.Storage;
using Pacs.Index;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// Removes orphan blobs: at start-up and every <see cref="BlobReconcilerOptions.Interval"/>, new blobs whose marker is
/// older than the grace period and which the index does not use (a gateway died between writing and committing, or a
/// discard failed) are discarded (<see cref="BlobIntents.DiscardAsync"/>); intents older than the grace period whose
/// blob the index does not use (a replaced or deleted instance's whose reclaim failed) lose their blob and their row;
/// replaced copies past their retention go with their blobs; stale staging files and old tombstones go too. One gateway
/// at a time (advisory lock).
/// </summary>
internal sealed partial class BlobReconciler(
    NpgsqlDataSource dataSource,
    BlobIntents intents,
    InstanceCopies copies,
    IBlobStore blobs,
    IOptions<BlobReconcilerOptions> options,
    ILogger<BlobReconciler> logger) : BackgroundService
{
    // pg_advisory_lock key: "PACSBLOB" as a 64-bit number, shared by every gateway.
    private const long LockKey = 0x50414353424C4F42;

    internal static readonly TimeSpan TombstoneRetention = TimeSpan.FromDays(7);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var removed = await ReconcileOnceAsync(stoppingToken).ConfigureAwait(false);
                if (removed > 0)
                {
                    LogReconciled(logger, removed);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                LogFailed(logger, e);
            }

            try
            {
                await Task.Delay(options.Value.Interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass; returns the number of orphan and expired blobs deleted, or -1 when another gateway holds the lock.</summary>
    internal async Task<int> ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection))
        {
            tryLock.Parameters.Add(new NpgsqlParameter { Value = LockKey });
            if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return -1;
            }
        }

        try
        {
            var total = 0;
            var cutoff = DateTimeOffset.UtcNow - options.Value.GracePeriod;
            while (true)
            {
                var deleted = await intents.ReclaimOrphansAsync(cutoff, 500, cancellationToken).ConfigureAwait(false);
                total += deleted.Count;
                if (deleted.Count < 500)
                {
                    break;
                }
            }

            // Replaced copies whose retention (Pacs:ReplacedRetention, silo) has ended.
            while (true)
            {
                var swept = await copies.SweepExpiredAsync(500, cancellationToken).ConfigureAwait(false);
                total += swept;
                if (swept < 500)
                {
                    break;
                }
            }

            if (blobs is FileBlobStore files)
            {
                foreach (var key in files.PendingKeys(options.Value.GracePeriod))
                {
                    try
                    {
                        if (await intents.DiscardAsync(key, cancellationToken).ConfigureAwait(false))
                        {
                            total++; // its marker went with it (IBlobStore.DeleteAsync)
                        }
                        else
                        {
                            blobs.Settled(key);
                        }
                    }
                    catch (Exception e) when (e is IOException or ArgumentException)
                    {
                        // The marker stays: the next pass tries again (or, not a key, it is left alone).
                    }
                }

                files.DeleteStaleStagingFiles(options.Value.GracePeriod);
            }

            // No commit of a discarded key can still arrive after this long (the gateway gave up on it within minutes).
            await intents.PruneTombstonesAsync(DateTimeOffset.UtcNow - TombstoneRetention, cancellationToken).ConfigureAwait(false);

            return total;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new NpgsqlParameter { Value = LockKey });
            await unlock.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Reconciler removed {Count} orphan blob(s)")]
    private static partial void LogReconciled(ILogger logger, int count);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Reconciler pass failed; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
