namespace Pacs.Dicom.IO;

/// <summary>How much to read and what to keep in memory.</summary>
public sealed record DicomReadOptions
{
    public static readonly DicomReadOptions Default = new();

    /// <summary>Header-only: stop before the first top-level Pixel Data (7FE0,0008/0009/0010), leaving it unread.</summary>
    public static readonly DicomReadOptions HeaderOnly = new() { StopAtPixelData = true };

    /// <summary>Stop before the top-level Pixel Data element (the ingest path reads headers only).</summary>
    public bool StopAtPixelData { get; init; }

    /// <summary>
    /// Byte-stream values (OB, OD, OF, OL, OV, OW, UN, and fragments) at least this long are not loaded but reported as
    /// <see cref="BulkDataReference"/> (offset and length in the source).
    /// </summary>
    public long BulkDataThreshold { get; init; } = long.MaxValue;

    /// <summary>
    /// When reading from a stream, any value longer than this is reported as bulk data whatever its VR, so that memory
    /// stays bounded whatever lengths a peer sends.
    /// </summary>
    public int MaxBufferedValueLength { get; init; } = 16 * 1024 * 1024;

    /// <summary>Sequences nested deeper than this are structural corruption (hostile input guard).</summary>
    public int MaxSequenceDepth { get; init; } = 64;

    /// <summary>
    /// Fragment items one encapsulated Pixel Data element may hold (each costs a list entry, so a stream of empty
    /// items must not grow memory without bound); far above one fragment per frame of any real multi-frame image.
    /// </summary>
    public int MaxFragments { get; init; } = 1 << 20;

    /// <summary>Upper bound for inflating a Deflated Explicit VR Little Endian data set read from memory (zip bomb guard).</summary>
    public long MaxInflatedLength { get; init; } = 1L << 30;
}

/// <summary>A value-level problem tolerated while reading (odd length, bad VR, garbage at the end...).</summary>
public readonly record struct DicomReadWarning(long Offset, DicomTag Tag, string Message)
{
    public override string ToString() => $"{Message} at byte {Offset}{(Tag.Value != 0 ? $" in {Tag}" : "")}";
}

/// <summary>What a read produced.</summary>
public sealed class DicomReadResult
{
    internal DicomReadResult(DicomDataset dataset, DicomDataset? fileMeta, DicomTransferSyntax syntax,
        List<DicomReadWarning> warnings, bool stoppedAtPixelData, long endOffset, long datasetOffset)
    {
        Dataset = dataset;
        FileMetaInformation = fileMeta;
        TransferSyntax = syntax;
        Warnings = warnings;
        StoppedAtPixelData = stoppedAtPixelData;
        EndOffset = endOffset;
        DatasetOffset = datasetOffset;
    }

    public DicomDataset Dataset { get; }

    /// <summary>Group 0002 when the source was a Part 10 file with a meta header; null otherwise.</summary>
    public DicomDataset? FileMetaInformation { get; }

    public DicomTransferSyntax TransferSyntax { get; }
    public IReadOnlyList<DicomReadWarning> Warnings { get; }

    /// <summary>True when reading stopped before the top-level Pixel Data element.</summary>
    public bool StoppedAtPixelData { get; }

    /// <summary>Offset where reading ended: the Pixel Data element's tag when stopped there, else the end of data.</summary>
    public long EndOffset { get; }

    /// <summary>Offset of the first byte of the data set (after preamble and meta header).</summary>
    public long DatasetOffset { get; }
}
