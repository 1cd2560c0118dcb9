namespace Pacs.Gateway.Storage;

/// <summary>
/// Where image bytes live: a filesystem shared by every gateway now, an S3-compatible store later. Keys are
/// relative paths chosen by the ingest funnel. A blob becomes visible only when its write is committed, which
/// makes it durable first (PS: an acknowledged image must survive power loss).
/// </summary>
public interface IBlobStore
{
    /// <summary>Starts writing a new blob under <paramref name="key"/>; nothing is visible until <see cref="IBlobWrite.CommitAsync"/>.</summary>
    ValueTask<IBlobWrite> BeginWriteAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Starts writing a blob whose key is chosen only at <see cref="IBlobWrite.CommitAsync(string, CancellationToken)"/>,
    /// once the data set's identity is known (the ingest funnel's keys are the study, series and SOP Instance UIDs and a
    /// random suffix, new for every write: a key never names two different contents).
    /// </summary>
    ValueTask<IBlobWrite> BeginWriteAsync(CancellationToken cancellationToken);

    /// <summary>Opens a committed blob for reading, optionally a byte range (frames, bulk data).</summary>
    ValueTask<Stream> OpenReadAsync(string key, long offset = 0, long? length = null, CancellationToken cancellationToken = default);

    ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes a blob (and its marker); a missing blob is not an error.</summary>
    ValueTask DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// The index has decided about the new blob <paramref name="key"/> (it uses it, or it was discarded): the marker
    /// the commit left for the reconciler goes. Best effort; a marker left behind is only work for the reconciler.
    /// </summary>
    void Settled(string key);
}

/// <summary>A blob being written. Dispose without commit discards it.</summary>
public interface IBlobWrite : IAsyncDisposable
{
    string Key { get; }

    /// <summary>The stream to write the bytes to.</summary>
    Stream Stream { get; }

    /// <summary>
    /// Keeps the content hash (BLAKE3, <see cref="Pacs.Gateway.Ingest.ContentHash"/>) of the bytes written with the blob (the file store: an extended attribute, made durable by the
    /// same fsync as the bytes), so that an index rebuild reads the header alone instead of hashing the whole blob.
    /// Best effort: a store that cannot keep it makes the rebuild read every byte. Call it before the flush.
    /// </summary>
    void RecordContentHash(ReadOnlySpan<byte> hash);

    /// <summary>
    /// The key the write will be committed under is known (the header has arrived): the store may make ready, in the
    /// background, what committing under it needs (the file store: the key's folders, their names made durable), so
    /// that the commit need not wait for it. Nothing becomes visible. Optional; the commit does whatever was not done.
    /// </summary>
    void Prepare(string key);

    /// <summary>
    /// Starts making the bytes written so far durable (fsync) without making them visible, and completes when they are;
    /// nothing may be written after it. Optional: <see cref="CommitAsync(CancellationToken)"/> does it when it was not
    /// done, and waits for it when it was started.
    /// </summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Makes the blob visible under the key (atomic rename) and durable: the bytes and every folder entry that leads to
    /// them are on disk when it returns (fsyncs of the bytes and of the folders, side by side). Leaves a marker for the
    /// key, which <see cref="IBlobStore.Settled"/> removes once the index has decided about the blob.
    /// </summary>
    ValueTask CommitAsync(CancellationToken cancellationToken);

    /// <summary>As <see cref="CommitAsync(CancellationToken)"/>, under <paramref name="key"/> (for writes begun without a key).</summary>
    ValueTask CommitAsync(string key, CancellationToken cancellationToken);
}
