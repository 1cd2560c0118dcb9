using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Text;

namespace Pacs.Dicom.IO;

/// <summary>
/// Reads DICOM data sets and Part 10 files (PS3.10 7) from memory or from a stream read once, front to back.
/// Structural corruption raises <see cref="DicomFormatException"/>; value-level problems become warnings.
/// </summary>
public static class DicomReader
{
    private const int PreambleLength = 128;

    /// <summary>Reads a Part 10 file, or a bare data set (no preamble/meta) whose encoding is then guessed.</summary>
    public static DicomReadResult ReadFile(ReadOnlyMemory<byte> bytes, DicomReadOptions? options = null)
    {
        options ??= DicomReadOptions.Default;
        var warnings = new List<DicomReadWarning>();
        var span = bytes.Span;
        var (metaStart, hasMeta) = DetectPart10(span);
        DicomDataset? meta = null;
        var datasetStart = metaStart;
        if (hasMeta)
        {
            meta = new DicomDataset();
            var metaEnd = GroupLengthEnd(span, metaStart);
            var parser = new DicomParser(meta, explicitVR: true, bigEndian: false, options, warnings, stableSource: true,
                stopBefore: t => t.Group != 0x0002);
            parser.SetPosition(metaStart);
            var status = parser.Parse(new ReadOnlySequence<byte>(bytes[metaStart..]), isFinal: true, out var consumed);
            datasetStart = metaStart + (int)consumed;
            if (metaEnd > 0 && metaEnd != datasetStart && status == DicomParser.ParseStatus.Stopped)
            {
                warnings.Add(new DicomReadWarning(metaStart, DicomTag.FileMetaInformationGroupLength,
                    $"File Meta Information Group Length says the group ends at {metaEnd}, it ends at {datasetStart}"));
            }
        }

        var syntax = ResolveSyntax(meta, span[datasetStart..], warnings);
        if (syntax.IsDeflated)
        {
            var inflated = Inflate(bytes[datasetStart..], options.MaxInflatedLength, datasetStart);
            var inflatedResult = ReadDataset(inflated, syntax, options, warnings, offset: 0);
            return new DicomReadResult(inflatedResult.Dataset, meta, syntax, warnings, inflatedResult.StoppedAtPixelData,
                inflatedResult.EndOffset, datasetStart);
        }
        var result = ReadDataset(bytes[datasetStart..], syntax, options, warnings, datasetStart);
        return new DicomReadResult(result.Dataset, meta, syntax, warnings, result.StoppedAtPixelData, result.EndOffset, datasetStart);
    }

    /// <summary>Reads a data set encoded in <paramref name="syntax"/> (no preamble or meta header), e.g. a DIMSE data set.</summary>
    public static DicomReadResult ReadDataset(ReadOnlyMemory<byte> bytes, DicomTransferSyntax syntax, DicomReadOptions? options = null)
    {
        options ??= DicomReadOptions.Default;
        var warnings = new List<DicomReadWarning>();
        if (syntax.IsDeflated)
        {
            var inflated = Inflate(bytes, options.MaxInflatedLength, 0);
            return ReadDataset(inflated, syntax, options, warnings, 0);
        }
        return ReadDataset(bytes, syntax, options, warnings, 0);
    }

    private static DicomReadResult ReadDataset(ReadOnlyMemory<byte> bytes, DicomTransferSyntax syntax, DicomReadOptions options,
        List<DicomReadWarning> warnings, long offset)
    {
        var dataset = new DicomDataset();
        var parser = new DicomParser(dataset, syntax.IsExplicitVR, syntax.IsBigEndian, options, warnings, stableSource: true,
            stopBefore: options.StopAtPixelData ? IsPixelDataTag : null, rootEnd: offset + bytes.Length);
        parser.SetPosition(offset);
        var status = parser.Parse(new ReadOnlySequence<byte>(bytes), isFinal: true, out _);
        return new DicomReadResult(dataset, null, syntax, warnings, status == DicomParser.ParseStatus.Stopped, parser.Position, offset);
    }

    /// <summary>
    /// Reads a Part 10 file (or bare data set) from a stream of unknown length, once, front to back, without seeking.
    /// With <see cref="DicomReadOptions.StopAtPixelData"/> it returns at the Pixel Data element; the stream has then
    /// been read somewhat further (buffering), which is why the ingest path tees the stream to storage as it reads.
    /// </summary>
    public static async ValueTask<DicomReadResult> ReadFileAsync(Stream stream, DicomReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DicomReadOptions.Default;
        var warnings = new List<DicomReadWarning>();
        var pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        try
        {
            // Enough bytes to recognise the preamble and the first element.
            var head = await FillAtLeastAsync(pipe, PreambleLength + 4 + 12, cancellationToken).ConfigureAwait(false);
            var headSpan = head.Buffer.Slice(0, Math.Min(head.Buffer.Length, PreambleLength + 16)).ToArray();
            var (metaStart, hasMeta) = DetectPart10(headSpan);
            pipe.AdvanceTo(head.Buffer.Start);
            long position = 0;
            if (metaStart > 0)
            {
                await SkipAsync(pipe, metaStart, cancellationToken).ConfigureAwait(false);
                position = metaStart;
            }

            DicomDataset? meta = null;
            if (hasMeta)
            {
                meta = new DicomDataset();
                var metaParser = new DicomParser(meta, true, false, options, warnings, stableSource: false, stopBefore: t => t.Group != 0x0002);
                metaParser.SetPosition(position);
                await RunAsync(metaParser, pipe, cancellationToken).ConfigureAwait(false);
                position = metaParser.Position;
            }

            var peek = await FillAtLeastAsync(pipe, 8, cancellationToken).ConfigureAwait(false);
            var peekBytes = peek.Buffer.Slice(0, Math.Min(peek.Buffer.Length, 16)).ToArray();
            pipe.AdvanceTo(peek.Buffer.Start);
            var syntax = ResolveSyntax(meta, peekBytes, warnings);

            var dataset = new DicomDataset();
            if (syntax.IsDeflated)
            {
                // PS3.5 A.5: everything after the meta header is a raw deflate stream.
                await using var deflate = new DeflateStream(pipe.AsStream(leaveOpen: true), CompressionMode.Decompress, leaveOpen: true);
                var inner = PipeReader.Create(deflate, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
                var deflatedParser = new DicomParser(dataset, true, false, options, warnings, stableSource: false,
                    stopBefore: options.StopAtPixelData ? IsPixelDataTag : null);
                var deflatedStatus = await RunAsync(deflatedParser, inner, cancellationToken).ConfigureAwait(false);
                await inner.CompleteAsync().ConfigureAwait(false);
                return new DicomReadResult(dataset, meta, syntax, warnings, deflatedStatus == DicomParser.ParseStatus.Stopped, deflatedParser.Position, position);
            }

            var parser = new DicomParser(dataset, syntax.IsExplicitVR, syntax.IsBigEndian, options, warnings, stableSource: false,
                stopBefore: options.StopAtPixelData ? IsPixelDataTag : null);
            parser.SetPosition(position);
            var status = await RunAsync(parser, pipe, cancellationToken).ConfigureAwait(false);
            return new DicomReadResult(dataset, meta, syntax, warnings, status == DicomParser.ParseStatus.Stopped, parser.Position, position);
        }
        catch (InvalidDataException e)
        {
            throw new DicomFormatException("Corrupt deflate stream", 0, default, e);
        }
        finally
        {
            await pipe.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads a data set in a known transfer syntax from a stream (e.g. the data set of a C-STORE as its PDVs arrive).</summary>
    public static async ValueTask<DicomReadResult> ReadDatasetAsync(Stream stream, DicomTransferSyntax syntax, DicomReadOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= DicomReadOptions.Default;
        var warnings = new List<DicomReadWarning>();
        var source = syntax.IsDeflated ? new DeflateStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
        var pipe = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        try
        {
            var dataset = new DicomDataset();
            var parser = new DicomParser(dataset, syntax.IsExplicitVR, syntax.IsBigEndian, options, warnings, stableSource: false,
                stopBefore: options.StopAtPixelData ? IsPixelDataTag : null);
            var status = await RunAsync(parser, pipe, cancellationToken).ConfigureAwait(false);
            return new DicomReadResult(dataset, null, syntax, warnings, status == DicomParser.ParseStatus.Stopped, parser.Position, 0);
        }
        catch (InvalidDataException e)
        {
            throw new DicomFormatException("Corrupt deflate stream", 0, default, e);
        }
        finally
        {
            await pipe.CompleteAsync().ConfigureAwait(false);
            if (!ReferenceEquals(source, stream))
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    internal static async ValueTask<DicomParser.ParseStatus> RunAsync(DicomParser parser, PipeReader pipe, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await pipe.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            var status = parser.Parse(buffer, read.IsCompleted, out var consumed);
            var consumedPosition = buffer.GetPosition(consumed);
            if (status != DicomParser.ParseStatus.NeedMoreData)
            {
                pipe.AdvanceTo(consumedPosition);
                return status;
            }
            // Everything unconsumed was examined: wait for more bytes.
            pipe.AdvanceTo(consumedPosition, buffer.End);
        }
    }

    private static async ValueTask<ReadResult> FillAtLeastAsync(PipeReader pipe, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await pipe.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (read.Buffer.Length >= count || read.IsCompleted)
            {
                return read;
            }

            pipe.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static async ValueTask SkipAsync(PipeReader pipe, long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            var read = await pipe.ReadAsync(cancellationToken).ConfigureAwait(false);
            var n = Math.Min(count, read.Buffer.Length);
            pipe.AdvanceTo(read.Buffer.GetPosition(n));
            count -= n;
            if (n == 0 && read.IsCompleted)
            {
                throw new DicomFormatException("Truncated preamble", 0);
            }
        }
    }

    internal static bool IsPixelDataTag(DicomTag tag) =>
        tag == DicomTag.PixelData || tag == DicomTag.FloatPixelData || tag == DicomTag.DoubleFloatPixelData;

    /// <summary>
    /// Finds the meta header: after a 128-byte preamble and "DICM" (PS3.10 7.1), after "DICM" alone, or a meta group
    /// with no preamble at all (seen in the wild). Returns where parsing starts and whether a meta group is there.
    /// </summary>
    internal static (int Start, bool HasMeta) DetectPart10(ReadOnlySpan<byte> head)
    {
        if (head.Length >= PreambleLength + 4 && head.Slice(PreambleLength, 4).SequenceEqual("DICM"u8))
        {
            return (PreambleLength + 4, true);
        }

        if (head.Length >= 4 && head[..4].SequenceEqual("DICM"u8))
        {
            return (4, true);
        }

        if (head.Length >= 6 && BinaryPrimitives.ReadUInt16LittleEndian(head) == 0x0002 && head[4] is >= (byte)'A' and <= (byte)'Z')
        {
            return (0, true);
        }

        return (0, false);
    }

    /// <summary>End offset of the meta group from (0002,0000) when present, else -1.</summary>
    private static long GroupLengthEnd(ReadOnlySpan<byte> span, int metaStart)
    {
        if (span.Length < metaStart + 12)
        {
            return -1;
        }

        var s = span[metaStart..];
        if (BinaryPrimitives.ReadUInt32LittleEndian(s) != 0x00000002 || s[4] != 'U' || s[5] != 'L')
        {
            return -1;
        }

        return metaStart + 12 + BinaryPrimitives.ReadUInt32LittleEndian(s[8..]);
    }

    /// <summary>The transfer syntax from the meta header; when absent, guessed from the first data set bytes.</summary>
    private static DicomTransferSyntax ResolveSyntax(DicomDataset? meta, ReadOnlySpan<byte> datasetHead, List<DicomReadWarning> warnings)
    {
        var uid = meta?.GetString(DicomTag.TransferSyntaxUID);
        if (!string.IsNullOrEmpty(uid))
        {
            var known = DicomTransferSyntax.Find(uid);
            if (known is not null)
            {
                return known;
            }

            warnings.Add(new DicomReadWarning(0, DicomTag.TransferSyntaxUID, $"Unknown transfer syntax {uid}, read as explicit VR little endian"));
            return DicomTransferSyntax.Resolve(uid);
        }
        if (meta is not null)
        {
            warnings.Add(new DicomReadWarning(0, DicomTag.TransferSyntaxUID, "Transfer Syntax UID missing from the meta header, guessed from the data"));
        }

        return Guess(datasetHead);
    }

    /// <summary>
    /// Guesses the encoding of a bare data set from its first element: group byte order and whether two VR letters
    /// follow the tag (what every toolkit does for ACR-NEMA style files).
    /// </summary>
    internal static DicomTransferSyntax Guess(ReadOnlySpan<byte> head)
    {
        if (head.Length < 8)
        {
            return DicomTransferSyntax.ImplicitVRLittleEndian;
        }

        var le = BinaryPrimitives.ReadUInt16LittleEndian(head);
        var be = BinaryPrimitives.ReadUInt16BigEndian(head);
        var bigEndian = le > 0x00FF && be <= 0x00FF && be != 0;
        var explicitVR = head[4] is >= (byte)'A' and <= (byte)'Z' && head[5] is >= (byte)'A' and <= (byte)'Z'
            && DicomVR.FromChars(head[4], head[5]).IsKnown;
        if (bigEndian)
        {
            return DicomTransferSyntax.ExplicitVRBigEndian;
        }

        return explicitVR ? DicomTransferSyntax.ExplicitVRLittleEndian : DicomTransferSyntax.ImplicitVRLittleEndian;
    }

    private static ReadOnlyMemory<byte> Inflate(ReadOnlyMemory<byte> deflated, long maxLength, long offset)
    {
        using var input = new MemoryStream(deflated.ToArray(), writable: false);
        using var inflate = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int n;
            while ((n = ReadSafely(inflate, buffer, offset)) > 0)
            {
                if (output.Length + n > maxLength)
                {
                    throw new DicomFormatException($"Deflated data set inflates beyond {maxLength} bytes", offset);
                }

                output.Write(buffer, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return output.GetBuffer().AsMemory(0, (int)output.Length);
    }

    private static int ReadSafely(Stream s, byte[] buffer, long offset)
    {
        try
        {
            return s.Read(buffer, 0, buffer.Length);
        }
        catch (InvalidDataException e)
        {
            throw new DicomFormatException("Corrupt deflate stream", offset, default, e);
        }
    }

    internal static string Ascii(ReadOnlySpan<byte> s) => Encoding.ASCII.GetString(s);
}
