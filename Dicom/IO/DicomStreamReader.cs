using System.IO.Compression;
using System.IO.Pipelines;

namespace Pacs.Dicom.IO;

/// <summary>
/// Reads one data set in a known transfer syntax from a stream, once, front to back, in two steps:
/// <see cref="ReadHeaderAsync"/> returns the elements before the top-level Pixel Data (a caller decides on them while
/// the bulk data is still arriving), then <see cref="ReadToEndAsync"/> walks the rest (Pixel Data, its fragment items,
/// any trailing elements) without buffering bulk values. Because the rest is parsed, not just copied, a data set that
/// ends before its declared lengths (PS3.5 7.1: a value, item or fragment cut short; an undefined-length sequence or
/// fragment sequence never delimited) raises <see cref="DicomFormatException"/> in the same pass.
/// </summary>
public sealed class DicomStreamReader : IAsyncDisposable
{
    private readonly Stream _source;
    private readonly bool _ownsSource;
    private readonly PipeReader _pipe;
    private readonly DicomParser _parser;
    private readonly DicomDataset _header = new();
    private readonly List<DicomReadWarning> _warnings = [];
    private readonly DicomTransferSyntax _syntax;
    private DicomParser.ParseStatus? _headerStatus;

    /// <param name="bufferSize">
    /// Bytes asked of <paramref name="stream"/> at a time (64 KiB): a caller that wants the header alone of a large
    /// file (the index rebuild) asks less, so that little more than the header is read.
    /// </param>
    public DicomStreamReader(Stream stream, DicomTransferSyntax syntax, DicomReadOptions? options = null, int bufferSize = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 4096);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(syntax);
        options ??= DicomReadOptions.Default;
        _syntax = syntax;
        // PS3.5 A.5: a deflated data set is one raw deflate stream.
        _ownsSource = syntax.IsDeflated;
        _source = syntax.IsDeflated ? new DeflateStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
        _pipe = PipeReader.Create(_source, new StreamPipeReaderOptions(bufferSize: bufferSize, minimumReadSize: Math.Min(16 * 1024, bufferSize / 4), leaveOpen: true));
        _parser = new DicomParser(_header, syntax.IsExplicitVR, syntax.IsBigEndian, options, _warnings, stableSource: false,
            stopBefore: DicomReader.IsPixelDataTag);
    }

    /// <summary>Every value-level problem tolerated so far, the header's and the rest's.</summary>
    public IReadOnlyList<DicomReadWarning> Warnings => _warnings;

    /// <summary>The elements before the top-level Pixel Data (all of them when there is none).</summary>
    public async ValueTask<DicomReadResult> ReadHeaderAsync(CancellationToken cancellationToken = default)
    {
        if (_headerStatus is not null)
        {
            throw new InvalidOperationException("The header has been read already.");
        }

        var status = await RunAsync(cancellationToken).ConfigureAwait(false);
        _headerStatus = status;
        // The header's own warnings (a snapshot): those of the rest are in Warnings.
        return new DicomReadResult(_header, null, _syntax, [.. _warnings], status == DicomParser.ParseStatus.Stopped, _parser.Position, 0);
    }

    /// <summary>
    /// Parses the rest of the data set to its end and returns its top-level elements: the Pixel Data element (bulk
    /// values as <see cref="BulkDataReference"/>, fragments listed) and whatever follows it. Empty when the header
    /// was the whole data set. Warnings met on the way are added to <see cref="Warnings"/>.
    /// </summary>
    public async ValueTask<DicomDataset> ReadToEndAsync(CancellationToken cancellationToken = default)
    {
        if (_headerStatus is null)
        {
            throw new InvalidOperationException("Read the header first.");
        }

        var rest = new DicomDataset { InheritedCharacterSet = _header.CharacterSet };
        if (_headerStatus != DicomParser.ParseStatus.Stopped)
        {
            return rest;
        }

        _parser.ResumeInto(rest);
        _headerStatus = await RunAsync(cancellationToken).ConfigureAwait(false);
        return rest;
    }

    private async ValueTask<DicomParser.ParseStatus> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await DicomReader.RunAsync(_parser, _pipe, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw new DicomFormatException("Corrupt deflate stream", _parser.Position, default, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _pipe.CompleteAsync().ConfigureAwait(false);
        if (_ownsSource)
        {
            await _source.DisposeAsync().ConfigureAwait(false);
        }
    }
}
