namespace Pacs.Index;

/// <summary>
/// The fence between the study batch and a discard of a new blob (0190_blob_tombstones.sql): both lock the key's
/// study folder (the key's first segment) with a transaction-scoped advisory lock, the batch shared, the discard
/// exclusive. The discard records a tombstone under it before deleting the blob; the batch, once it holds the lock,
/// refuses any key with a tombstone. Whichever commits first decides: an indexed key is never discarded, a discarded
/// key is never indexed.
/// </summary>
public static class BlobTombstones
{
    // pg_advisory_xact_lock's two-key form (a key space apart from the one-bigint locks of the reconciler and the
    // migrator): "PACB", then the folder's hash.
    private const string LockClass = "1346454338";

    /// <summary>$1 text[]: the batch's keys. Shared locks of their study folders, in order.</summary>
    public const string LockFoldersShared =
        "SELECT count(pg_advisory_xact_lock_shared(" + LockClass + ", hashtext(f))) FROM (SELECT DISTINCT split_part(k, '/', 1) AS f FROM unnest($1::text[]) AS k ORDER BY 1) AS d";

    /// <summary>$1 text: one key. The exclusive lock of its study folder.</summary>
    public const string LockFolderExclusive =
        "SELECT pg_advisory_xact_lock(" + LockClass + ", hashtext(split_part($1::text, '/', 1)))";

    /// <summary>$1 text[]: refused (SQLSTATE PC001) when any has a tombstone. Run after the lock, as a statement of its own.</summary>
    public const string RequireNone =
        "SELECT pacs_require(NOT EXISTS (SELECT 1 FROM pacs_blob_tombstones WHERE blob_key = ANY($1::text[])), 'PC001', 'blob discarded')";
}
