using System.Security.Cryptography;
using Blake3;
using Pacs.Gateway.Cluster;
using Pacs.Gateway.Storage;
using Pacs.Grains;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// The content hash of what the archive stores (issue 17 §3): BLAKE3, computed as
/// the bytes pass to the blob (<see cref="TeeStream"/>); the index row names the algorithm
/// (<see cref="ContentHashAlgorithms"/>). A stored copy indexed before keeps its SHA-256: when a copy of such an
/// instance arrives, the study grain asks for the SHA-256 of the new blob (<see cref="CommitOutcome.Sha256Needed"/>),
/// which <see cref="CommitAsync"/> reads back and hashes, so duplicates are still told from different bytes.
/// Warm, this BLAKE3 (managed code) hashes about 2.4 GB/s here against 1.8 for OpenSSL's SHA-256; cold it is several
/// times slower until the JIT promotes it, which <see cref="ContentHashWarmup"/> does at start-up.
/// </summary>
internal sealed class ContentHash : IDisposable
{
    // BLAKE3 hashes 1 KiB chunks eight at a time with AVX2 and sixteen with AVX-512; by the profile, what an update
    // leaves short of a group (and the chunk the hasher keeps back, which may be the last) goes through its one-chunk
    // path, and each update has a fixed cost. Fed in the pieces the ingest path reads (what one socket read brought,
    // 16-64 KiB), a 525 KB CT instance hashed at 0.75 GB/s (AVX2, 16 KiB pieces); in pieces of 129 chunks (whole
    // groups of 8 or 16 and the one kept back) at 1.36, nearly the 1.44 of one update for the whole; with AVX-512, 3.0
    // against 0.97 GB/s (docs/benchmarks.md, "store-4 at 2× Orthanc" and "one flush per socket read").
    internal const int PieceSize = 129 * 1024;

    private Hasher _hasher = Hasher.New();
    private byte[]? _pending;
    private int _pendingLength;

    /// <summary>What <see cref="Finish"/> returns: the name every new index row carries.</summary>
    public const string Algorithm = ContentHashAlgorithms.Blake3;

    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_pendingLength == 0 && data.Length >= PieceSize)
            {
                // Whole pieces straight from the caller's buffer: no copy.
                var whole = data.Length - data.Length % PieceSize;
                _hasher.Update(data[..whole]);
                data = data[whole..];
                continue;
            }

            _pending ??= System.Buffers.ArrayPool<byte>.Shared.Rent(PieceSize);
            var take = Math.Min(PieceSize - _pendingLength, data.Length);
            data[..take].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += take;
            data = data[take..];
            if (_pendingLength == PieceSize)
            {
                _hasher.Update(_pending.AsSpan(0, PieceSize));
                _pendingLength = 0;
            }
        }
    }

    /// <summary>The 32-byte BLAKE3 hash of everything appended (call once).</summary>
    public byte[] Finish()
    {
        if (_pendingLength > 0)
        {
            _hasher.Update(_pending.AsSpan(0, _pendingLength));
            _pendingLength = 0;
        }

        var hash = _hasher.Finalize();
        return hash.AsSpan().ToArray();
    }

    public void Dispose()
    {
        _hasher.Dispose();
        if (_pending is { } pending)
        {
            _pending = null;
            System.Buffers.ArrayPool<byte>.Shared.Return(pending);
        }
    }

    /// <summary>
    /// The study grain's commit of <paramref name="record"/> (<see cref="IStudyGrain.CommitAsync"/>), asked once more
    /// with the SHA-256 of the record's blob when the stored copy of the instance was hashed with SHA-256.
    /// </summary>
    public static async Task<CommitResult> CommitAsync(GrainCalls calls, IStudyGrain grain, InstanceRecord record, IBlobStore blobs, CancellationToken cancellationToken)
    {
        var commit = await calls.RunAsync("Commit", token => grain.CommitAsync(record, token), cancellationToken).ConfigureAwait(false);
        if (commit.Outcome != CommitOutcome.Sha256Needed)
        {
            return commit;
        }

        byte[] sha256;
        var blob = await blobs.OpenReadAsync(record.BlobKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (blob.ConfigureAwait(false))
        {
            sha256 = await SHA256.HashDataAsync(blob, cancellationToken).ConfigureAwait(false);
        }

        var withSha256 = record with { Sha256 = sha256 };
        return await calls.RunAsync("Commit", token => grain.CommitAsync(withSha256, token), cancellationToken).ConfigureAwait(false);
    }
}
