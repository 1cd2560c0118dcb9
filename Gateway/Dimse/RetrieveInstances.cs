using System.Buffers.Binary;
using Pacs.Dicom;
using Pacs.Dicom.Network;
using Pacs.Dicom.Query;
using Pacs.Gateway.Auth;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.Storage;
using Pacs.Index.Read;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// What C-MOVE and C-GET share: the identifier's unique keys (PS3.4 C.4.2.2.1) select instances from the index, and
/// each is opened from the blob store only when its sub-operation starts. A workstation pulling priors is a reader:
/// each sub-operation waits for a slot of <see cref="ReadAdmission"/> as a bulk read of the calling AE, so that
/// retrieves take their turn with the viewers' frames and leave modalities their share (issue 17 §1).
/// </summary>
internal sealed class RetrieveInstances(IndexReader index, IBlobStore blobs, DimseAudit audit, ReadAdmission admission)
{
    /// <summary>The selection, with one audit record for the request (<paramref name="service"/> "C-MOVE" or "C-GET").</summary>
    public async ValueTask<IReadOnlyList<InstanceToSend>> SelectAsync(DicomDataset identifier, string sopClassUid, AssociationInfo association,
        string service, string? destination, CancellationToken cancellationToken)
    {
        var detail = new Dictionary<string, string>(StringComparer.Ordinal) { ["service"] = service, ["sopClassUid"] = sopClassUid };
        if (destination is not null)
        {
            detail["destination"] = destination.Trim();
        }

        IReadOnlyList<IndexedInstance> rows;
        try
        {
            var query = FindScp.QueryFromIdentifier(identifier, sopClassUid);
            rows = await index.GetInstancesAsync(query, association.User?.StudyGroupsOf(), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Record("failure");
            throw;
        }

        detail["instances"] = rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var reader = "dimse:" + association.CallingAeTitle.Trim();
        Record("success");
        var list = new List<InstanceToSend>(rows.Count);
        foreach (var row in rows)
        {
            var ts = DicomTransferSyntax.Find(row.TransferSyntaxUid) ?? DicomTransferSyntax.Resolve(row.TransferSyntaxUid);
            var key = row.BlobKey;
            list.Add(new InstanceToSend(row.SopClassUid, row.SopInstanceUid, ts, ct => OpenAdmittedAsync(key, reader, ct)));
        }
        return list;

        // The identifier's unique keys name the study (PS3.4 C.4.2.2.1).
        void Record(string outcome) => audit.Record(association, "retrieve", outcome, identifier, detail: detail);
    }

    // The slot is held while the sub-operation sends the instance: the stream's disposal gives it back. A full queue
    // does not fail the retrieve (a 503 has no DIMSE counterpart here): the sub-operation then runs unadmitted.
    private async ValueTask<Stream> OpenAdmittedAsync(string key, string reader, CancellationToken cancellationToken)
    {
        var lease = await admission.EnterAsync(ReadClass.Bulk, reader, cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = await OpenDataSetAsync(blobs, key, cancellationToken).ConfigureAwait(false);
            return new SubOperationStream(stream, lease);
        }
        catch
        {
            lease?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The blob positioned at its data set: a bare data set as C-STORE received it, or a Part 10 file (STOW-RS) whose
    /// preamble and File Meta Information (PS3.10 7.1) are skipped, since a C-STORE carries the data set only.
    /// </summary>
    public static async ValueTask<Stream> OpenDataSetAsync(IBlobStore blobs, string key, CancellationToken cancellationToken)
    {
        var stream = await blobs.OpenReadAsync(key, 0, null, cancellationToken).ConfigureAwait(false);
        try
        {
            // Read synchronously, as the rest of the blob is (SubOperationStream): fills the stream's buffer, one pread.
            var head = new byte[144];
            var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            long offset = 0;
            if (n == head.Length && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M'
                && BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(132)) == 0x00000002u)
            {
                // (0002,0000) UL group length: the meta group ends that many bytes after its own element.
                offset = 144 + BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(140));
            }
            if (stream.CanSeek)
            {
                stream.Position = offset;
                return stream;
            }
            await stream.DisposeAsync().ConfigureAwait(false);
            return await blobs.OpenReadAsync(key, offset, null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A read-only view of a blob stream for one sub-operation: it gives its admission slot (if any) back when disposed,
    /// and reads synchronously. On Linux .NET runs every asynchronous file read as a thread-pool work item (a hop, a
    /// futex wake-up and a context switch per read, 9 per CT instance); a sub-operation reads its blob in order and
    /// sends each piece before the next read, so nothing overlaps the hop, and a read of a blob in the page cache costs
    /// less than the hop. A blob not in the page cache blocks the pool thread for the disk read, as the ingest's
    /// synchronous staging writes and fsyncs do (the gateway's thread-pool minimum is sized for that).
    /// </summary>
    internal sealed class SubOperationStream(Stream inner, ReadAdmission.Lease? lease) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(inner.Read(buffer, offset, count));
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(inner.Read(buffer.Span));
        }

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                lease?.Dispose();
            }

            await base.DisposeAsync().ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                lease?.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
