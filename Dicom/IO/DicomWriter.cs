using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace Pacs.Dicom.IO;

/// <summary>Options for writing.</summary>
public sealed record DicomWriteOptions
{
    public static readonly DicomWriteOptions Default = new();

    /// <summary>Supplies the bytes of values the reader left in the source (bulk data). Without it they cannot be written.</summary>
    public Func<BulkDataReference, ReadOnlyMemory<byte>>? BulkDataResolver { get; init; }

    /// <summary>Write every sequence and item with undefined length (what most toolkits emit; cheap to stream).</summary>
    public bool UndefinedLengthSequences { get; init; }
}

/// <summary>
/// Writes data sets in any native transfer syntax (PS3.5 7) and Part 10 files (PS3.10 7.1). Values are kept
/// little-endian in memory, so Explicit VR Big Endian swaps on the way out. Odd-length values are padded.
/// </summary>
public static class DicomWriter
{
    /// <summary>Writes a data set (no meta header) in <paramref name="syntax"/>.</summary>
    public static void WriteDataset(IBufferWriter<byte> output, DicomDataset dataset, DicomTransferSyntax syntax, DicomWriteOptions? options = null)
    {
        options ??= DicomWriteOptions.Default;
        if (syntax.IsDeflated)
        {
            var plain = new ArrayBufferWriter<byte>();
            new Encoder(plain, explicitVR: true, bigEndian: false, options).WriteDataset(dataset);
            using var stream = new BufferWriterStream(output);
            using (var deflate = new DeflateStream(stream, CompressionLevel.Fastest, leaveOpen: true))
            {
                deflate.Write(plain.WrittenSpan);
            }

            return;
        }
        new Encoder(output, syntax.IsExplicitVR, syntax.IsBigEndian, options).WriteDataset(dataset);
    }

    /// <summary>Writes a Part 10 file: preamble, "DICM", meta header in Explicit VR LE, then the data set.</summary>
    public static void WriteFile(IBufferWriter<byte> output, DicomFile file, DicomWriteOptions? options = null)
    {
        options ??= DicomWriteOptions.Default;
        output.Write(new byte[128]);
        output.Write("DICM"u8);
        var meta = file.FileMetaInformation.Clone();
        meta.SetString(DicomTag.TransferSyntaxUID, DicomVR.UI, file.TransferSyntax.Uid);
        meta.Remove(DicomTag.FileMetaInformationGroupLength);
        var encoder = new Encoder(output, explicitVR: true, bigEndian: false, options);
        // PS3.10 7.1: (0002,0000) holds the length of the rest of the group.
        long groupLength = 0;
        foreach (var e in meta)
        {
            groupLength += encoder.ElementLength(e);
        }

        var lengthElement = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(lengthElement, (uint)groupLength);
        encoder.WriteElement(new DicomElement(DicomTag.FileMetaInformationGroupLength, DicomVR.UL, lengthElement));
        foreach (var e in meta)
        {
            encoder.WriteElement(e);
        }

        WriteDataset(output, file.Dataset, file.TransferSyntax, options);
    }

    public static byte[] ToFileBytes(DicomFile file, DicomWriteOptions? options = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteFile(buffer, file, options);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] ToBytes(DicomDataset dataset, DicomTransferSyntax syntax, DicomWriteOptions? options = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteDataset(buffer, dataset, syntax, options);
        return buffer.WrittenSpan.ToArray();
    }

    public static async ValueTask WriteFileAsync(Stream stream, DicomFile file, DicomWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WriteFile(buffer, file, options);
        await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Encoded length of a data set in a syntax (used for group lengths and defined-length items).</summary>
    public static long EncodedLength(DicomDataset dataset, DicomTransferSyntax syntax) =>
        new Encoder(NullBufferWriter.Instance, syntax.IsExplicitVR, syntax.IsBigEndian, DicomWriteOptions.Default).DatasetLength(dataset);

    private sealed class Encoder(IBufferWriter<byte> output, bool explicitVR, bool bigEndian, DicomWriteOptions options)
    {
        public void WriteDataset(DicomDataset dataset)
        {
            foreach (var e in dataset)
            {
                if (e.Tag.IsGroupLength && e.Tag.Group != 0x0000)
                {
                    // Retired group lengths (PS3.5 7.2) are recomputed so they stay true after edits.
                    WriteGroupLength(dataset, e);
                    continue;
                }
                WriteElement(e);
            }
        }

        private void WriteGroupLength(DicomDataset dataset, in DicomElement groupLength)
        {
            long length = 0;
            foreach (var e in dataset)
            {
                if (e.Tag.Group == groupLength.Tag.Group && !e.Tag.IsGroupLength)
                {
                    length += ElementLength(e);
                }
            }

            var value = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(value, (uint)length);
            WriteElement(new DicomElement(groupLength.Tag, DicomVR.UL, value));
        }

        public void WriteElement(in DicomElement e)
        {
            if (e.Sequence is { } sequence)
            {
                var undefined = sequence.UndefinedLength || options.UndefinedLengthSequences;
                WriteHeader(e.Tag, DicomVR.SQ, undefined ? uint.MaxValue : (uint)SequenceContentLength(sequence, false));
                foreach (var item in sequence.Items)
                {
                    WriteTag(DicomTag.Item);
                    WriteUInt32(undefined ? uint.MaxValue : (uint)DatasetLength(item));
                    WriteDataset(item);
                    if (undefined)
                    {
                        WriteTag(DicomTag.ItemDelimitationItem);
                        WriteUInt32(0);
                    }
                }
                if (undefined)
                {
                    WriteTag(DicomTag.SequenceDelimitationItem);
                    WriteUInt32(0);
                }
                return;
            }
            if (e.Fragments is { } fragments)
            {
                // PS3.5 A.4: encapsulated pixel data is always undefined length, item per fragment.
                WriteHeader(e.Tag, e.VR == DicomVR.OW ? DicomVR.OW : DicomVR.OB, uint.MaxValue);
                WriteTag(DicomTag.Item);
                WriteUInt32((uint)fragments.BasicOffsetTable.Length);
                WriteSwapped(fragments.BasicOffsetTable.Span, 4);
                foreach (var fragment in fragments.Items)
                {
                    var data = fragment.Bulk is { } b ? Resolve(b, e.Tag) : fragment.Data;
                    WriteTag(DicomTag.Item);
                    WriteUInt32((uint)(data.Length + (data.Length & 1)));
                    output.Write(data.Span);
                    if ((data.Length & 1) == 1)
                    {
                        output.Write([(byte)0]);
                    }
                }
                WriteTag(DicomTag.SequenceDelimitationItem);
                WriteUInt32(0);
                return;
            }

            var value = e.Bulk is { } bulk ? Resolve(bulk, e.Tag) : e.Value;
            var odd = value.Length & 1;
            var vr = e.VR;
            var length = (long)value.Length + odd;
            if (explicitVR && !vr.HasLongExplicitLength && length > ushort.MaxValue)
            {
                vr = DicomVR.UN; // too long for a 16-bit length: PS3.5 6.2.2 allows UN here
            }

            WriteHeader(e.Tag, vr, (uint)length);
            WriteSwapped(value.Span, e.VR.UnitSize);
            if (odd == 1)
            {
                output.Write([e.VR.PaddingByte]);
            }
        }

        private ReadOnlyMemory<byte> Resolve(BulkDataReference bulk, DicomTag tag) =>
            options.BulkDataResolver?.Invoke(bulk)
            ?? throw new InvalidOperationException($"{tag} was not loaded (bulk data) and no resolver was given");

        private void WriteSwapped(ReadOnlySpan<byte> value, int unit)
        {
            if (!bigEndian || unit == 1 || value.IsEmpty)
            {
                output.Write(value);
                return;
            }
            var copy = value.ToArray();
            DicomParser.SwapInPlace(copy, unit);
            output.Write(copy);
        }

        private void WriteHeader(DicomTag tag, DicomVR vr, uint length)
        {
            WriteTag(tag);
            if (!explicitVR)
            {
                WriteUInt32(length);
                return;
            }
            var span = output.GetSpan(8);
            span[0] = vr.First;
            span[1] = vr.Second;
            if (vr.HasLongExplicitLength)
            {
                span[2] = 0;
                span[3] = 0;
                output.Advance(4);
                WriteUInt32(length);
            }
            else
            {
                if (bigEndian)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)length);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(span[2..], (ushort)length);
                }

                output.Advance(4);
            }
        }

        private void WriteTag(DicomTag tag)
        {
            var span = output.GetSpan(4);
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(span, tag.Group);
                BinaryPrimitives.WriteUInt16BigEndian(span[2..], tag.Element);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(span, tag.Group);
                BinaryPrimitives.WriteUInt16LittleEndian(span[2..], tag.Element);
            }
            output.Advance(4);
        }

        private void WriteUInt32(uint value)
        {
            var span = output.GetSpan(4);
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(span, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(span, value);
            }

            output.Advance(4);
        }

        public long DatasetLength(DicomDataset dataset)
        {
            long total = 0;
            foreach (var e in dataset)
            {
                total += ElementLength(e);
            }

            return total;
        }

        private long SequenceContentLength(DicomSequence sequence, bool undefined)
        {
            long total = 0;
            foreach (var item in sequence.Items)
            {
                total += 8 + DatasetLength(item) + (undefined ? 8 : 0);
            }

            return total + (undefined ? 8 : 0);
        }

        public long ElementLength(in DicomElement e)
        {
            if (e.Sequence is { } sequence)
            {
                var undefined = sequence.UndefinedLength || options.UndefinedLengthSequences;
                return HeaderLength(DicomVR.SQ) + SequenceContentLength(sequence, undefined);
            }
            if (e.Fragments is { } fragments)
            {
                var total = HeaderLength(DicomVR.OB) + 8 + fragments.BasicOffsetTable.Length + 8;
                foreach (var f in fragments.Items)
                {
                    total += 8 + f.Length + (f.Length & 1);
                }

                return total;
            }
            var length = e.Length + (e.Length & 1);
            var vr = explicitVR && !e.VR.HasLongExplicitLength && length > ushort.MaxValue ? DicomVR.UN : e.VR;
            return HeaderLength(vr) + length;
        }

        private long HeaderLength(DicomVR vr) => !explicitVR ? 8 : vr.HasLongExplicitLength ? 12 : 8;
    }

    private sealed class NullBufferWriter : IBufferWriter<byte>
    {
        public static readonly NullBufferWriter Instance = new();
        private readonly byte[] _scratch = new byte[16];
        public void Advance(int count) { }
        public Memory<byte> GetMemory(int sizeHint = 0) => _scratch;
        public Span<byte> GetSpan(int sizeHint = 0) => _scratch;
    }

    /// <summary>Adapts an <see cref="IBufferWriter{T}"/> to the Stream that DeflateStream needs.</summary>
    private sealed class BufferWriterStream(IBufferWriter<byte> output) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => output.Write(buffer);
    }
}
