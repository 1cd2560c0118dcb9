namespace Pacs.Dicom;

/// <summary>
/// One data element (PS3.5 7.1). A small struct so that a parsed header costs one list, not one object per element.
/// <see cref="Value"/> holds the value bytes in little-endian order, padding included, exactly as they will be
/// written in a little-endian transfer syntax; sequences, encapsulated pixel data and bulk data not loaded into
/// memory are carried in <see cref="Payload"/>.
/// </summary>
public readonly struct DicomElement
{
    private readonly object? _payload;

    public DicomElement(DicomTag tag, DicomVR vr, ReadOnlyMemory<byte> value)
    {
        Tag = tag;
        VR = vr;
        Value = value;
        _payload = null;
    }

    public DicomElement(DicomTag tag, DicomSequence sequence)
    {
        Tag = tag;
        VR = DicomVR.SQ;
        Value = default;
        _payload = sequence;
    }

    public DicomElement(DicomTag tag, DicomVR vr, DicomFragments fragments)
    {
        Tag = tag;
        VR = vr;
        Value = default;
        _payload = fragments;
    }

    public DicomElement(DicomTag tag, DicomVR vr, BulkDataReference bulk)
    {
        Tag = tag;
        VR = vr;
        Value = default;
        _payload = bulk;
    }

    /// <summary>A value held elsewhere and known only by its URI (a DICOM JSON "BulkDataURI", PS3.18 F.2.6).</summary>
    public DicomElement(DicomTag tag, DicomVR vr, BulkDataUri uri)
    {
        Tag = tag;
        VR = vr;
        Value = default;
        _payload = uri;
    }

    public DicomTag Tag { get; }
    public DicomVR VR { get; }

    /// <summary>Little-endian value bytes (empty for sequences, fragments and bulk references).</summary>
    public ReadOnlyMemory<byte> Value { get; }

    public object? Payload => _payload;
    public DicomSequence? Sequence => _payload as DicomSequence;
    public DicomFragments? Fragments => _payload as DicomFragments;
    public BulkDataReference? Bulk => _payload as BulkDataReference;
    public BulkDataUri? BulkUri => _payload as BulkDataUri;

    /// <summary>Length of the value as it would be encoded with defined length (bulk: the source length).</summary>
    public long Length => _payload switch
    {
        BulkDataReference b => b.Length,
        null => Value.Length,
        _ => -1,
    };

    public override string ToString() => $"{Tag} {VR} {Length}";
}

/// <summary>A value that the reader did not load: where it lies in the source stream (PS3.18 calls it bulk data).</summary>
public sealed record BulkDataReference(long Offset, long Length);

/// <summary>A value to be fetched from a URI (DICOM JSON / XML "BulkDataURI", PS3.18 F.2.6); length unknown.</summary>
public sealed record BulkDataUri(string Uri);

/// <summary>The items of a sequence (PS3.5 7.5).</summary>
public sealed class DicomSequence
{
    public DicomSequence() => Items = [];
    public DicomSequence(List<DicomDataset> items) => Items = items;

    public List<DicomDataset> Items { get; }

    /// <summary>The source used undefined length; the writer keeps that choice so files round-trip.</summary>
    public bool UndefinedLength { get; set; } = true;
}

/// <summary>
/// Encapsulated pixel data (PS3.5 A.4): the Basic Offset Table (first item, possibly empty) and the fragments.
/// Fragments are carried as bytes, never decoded here.
/// </summary>
public sealed class DicomFragments
{
    public DicomFragments(ReadOnlyMemory<byte> basicOffsetTable, List<DicomFragment> fragments)
    {
        BasicOffsetTable = basicOffsetTable;
        Items = fragments;
    }

    public ReadOnlyMemory<byte> BasicOffsetTable { get; set; }
    public List<DicomFragment> Items { get; }
}

/// <summary>One fragment: its bytes in memory, or its place in the source when not loaded.</summary>
public readonly record struct DicomFragment(ReadOnlyMemory<byte> Data, BulkDataReference? Bulk = null)
{
    public long Length => Bulk?.Length ?? Data.Length;
}
