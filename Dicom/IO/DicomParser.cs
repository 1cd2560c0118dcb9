using System.Buffers;
using System.Buffers.Binary;
using Pacs.Dicom.Dictionary;

namespace Pacs.Dicom.IO;

/// <summary>
/// The one data set parser (PS3.5 7). It is resumable: <see cref="Parse"/> consumes what it can of the bytes it is
/// given and returns <see cref="ParseStatus.NeedMoreData"/> when an element is incomplete, so the same code reads a
/// file in memory and a network stream of unknown length. Values are sliced from the source when it is stable memory
/// and copied to an arena otherwise; values above the bulk threshold are skipped and reported as offset and length.
/// </summary>
internal sealed class DicomParser
{
    internal enum ParseStatus { NeedMoreData, Completed, Stopped }

    private enum FrameKind : byte { Dataset, Sequence, Fragments }

    private struct Frame
    {
        public FrameKind Kind;
        public long End; // absolute offset where a defined-length item/sequence ends, -1 when undefined
        public DicomDataset? Dataset;
        public DicomSequence? Sequence;
        public DicomFragments? Fragments;
        public DicomTag Tag;
        public bool Explicit;
        public bool BigEndian;
        public bool BasicOffsetTableRead;
    }

    private readonly DicomReadOptions _options;
    private readonly List<DicomReadWarning> _warnings;
    private readonly bool _stableSource;
    private Func<DicomTag, bool>? _stopBefore;
    private readonly ValueArena? _arena;
    private Frame[] _stack;
    private int _depth;
    private long _skipRemaining;
    private long _skipTotal;
    private DicomTag _skipTag;

    /// <param name="root">Data set the top-level elements go to.</param>
    /// <param name="stableSource">The bytes passed to <see cref="Parse"/> stay valid after it returns (slices are kept).</param>
    /// <param name="stopBefore">Top-level predicate: stop before an element whose tag matches.</param>
    public DicomParser(DicomDataset root, bool explicitVR, bool bigEndian, DicomReadOptions options,
        List<DicomReadWarning> warnings, bool stableSource, Func<DicomTag, bool>? stopBefore = null, long rootEnd = -1)
    {
        _options = options;
        _warnings = warnings;
        _stableSource = stableSource;
        _stopBefore = stopBefore;
        _arena = stableSource ? null : new ValueArena();
        _stack = new Frame[8];
        _stack[0] = new Frame { Kind = FrameKind.Dataset, End = rootEnd, Dataset = root, Explicit = explicitVR, BigEndian = bigEndian };
        _depth = 1;
    }

    /// <summary>Absolute offset of the next byte to parse.</summary>
    public long Position { get; private set; }

    /// <summary>The tag that made the parser stop (when <see cref="ParseStatus.Stopped"/>).</summary>
    public DicomTag StoppedAt { get; private set; }

    public void SetPosition(long position) => Position = position;

    /// <summary>
    /// After <see cref="ParseStatus.Stopped"/> at the top level: parsing goes on without stopping, the remaining
    /// top-level elements (from the one it stopped at) going to <paramref name="root"/>.
    /// </summary>
    public void ResumeInto(DicomDataset root)
    {
        if (_depth != 1)
        {
            throw new InvalidOperationException("The parser can only resume at the top level.");
        }

        _stopBefore = null;
        _stack[0].Dataset = root;
    }

    /// <summary>
    /// Parses from <paramref name="buffer"/>, whose first byte is at <see cref="Position"/>. Returns how many bytes were
    /// consumed through <paramref name="consumed"/>. <paramref name="isFinal"/> says no more bytes will come.
    /// </summary>
    public ParseStatus Parse(ReadOnlySequence<byte> buffer, bool isFinal, out long consumed)
    {
        var reader = new SequenceReader<byte>(buffer);
        var start = Position;
        try
        {
            var status = ParseCore(ref reader, isFinal);
            consumed = reader.Consumed;
            return status;
        }
        finally
        {
            Position = start + reader.Consumed;
        }
    }

    private ParseStatus ParseCore(ref SequenceReader<byte> reader, bool isFinal)
    {
        var baseOffset = Position;
        while (true)
        {
            if (_skipRemaining > 0)
            {
                var n = Math.Min(_skipRemaining, reader.Remaining);
                reader.Advance(n);
                _skipRemaining -= n;
                if (_skipRemaining > 0)
                {
                    if (isFinal)
                    {
                        throw Truncated(baseOffset + reader.Consumed, _skipTag, _skipTotal);
                    }

                    return ParseStatus.NeedMoreData;
                }
            }

            var pos = baseOffset + reader.Consumed;
            ref var top = ref _stack[_depth - 1];

            if (top.End >= 0)
            {
                if (pos == top.End)
                {
                    if (_depth == 1)
                    {
                        return ParseStatus.Completed;
                    }

                    _depth--;
                    continue;
                }
                if (pos > top.End)
                {
                    throw new DicomFormatException("Element extends past the end of its item or sequence", pos, top.Tag);
                }
            }

            switch (top.Kind)
            {
                case FrameKind.Dataset:
                {
                    var status = ReadDatasetElement(ref reader, ref top, baseOffset, isFinal);
                    if (status is { } s)
                        {
                            return s;
                        }

                        break;
                }
                case FrameKind.Sequence:
                {
                    if (reader.Remaining < 8)
                    {
                        if (isFinal)
                            {
                                throw Truncated(pos, top.Tag, 8);
                            }

                            return ParseStatus.NeedMoreData;
                    }
                    var (tag, length) = ReadItemHeader(ref reader, top.BigEndian);
                    if (tag == DicomTag.Item)
                    {
                        var item = new DicomDataset();
                        top.Sequence!.Items.Add(item);
                        var itemEnd = length == uint.MaxValue ? -1 : pos + 8 + length;
                        CheckNestedEnd(ref top, itemEnd, pos, tag);
                        Push(new Frame
                        {
                            Kind = FrameKind.Dataset, End = itemEnd, Dataset = item, Tag = top.Tag,
                            Explicit = top.Explicit, BigEndian = top.BigEndian,
                        }, pos);
                    }
                    else if (tag == DicomTag.SequenceDelimitationItem)
                    {
                        if (length != 0)
                            {
                                Warn(pos, tag, "Sequence Delimitation Item with non-zero length");
                            }

                            if (top.End >= 0)
                            {
                                Warn(pos, top.Tag, "Sequence Delimitation Item in a defined-length sequence");
                            }

                            _depth--;
                    }
                    else
                    {
                        throw new DicomFormatException($"Expected an item in sequence, found {tag}", pos, top.Tag);
                    }
                    break;
                }
                case FrameKind.Fragments:
                {
                    if (reader.Remaining < 8)
                    {
                        if (isFinal)
                            {
                                throw Truncated(pos, top.Tag, 8);
                            }

                            return ParseStatus.NeedMoreData;
                    }
                    var save = reader.Consumed;
                    var (tag, length) = ReadItemHeader(ref reader, top.BigEndian);
                    if (tag == DicomTag.SequenceDelimitationItem)
                    {
                        _depth--;
                        break;
                    }
                    if (tag != DicomTag.Item || length == uint.MaxValue)
                        {
                            throw new DicomFormatException($"Expected a fragment item, found {tag}", pos, top.Tag);
                        }

                        var valuePos = pos + 8;
                    if (!top.BasicOffsetTableRead)
                    {
                        // PS3.5 A.4: the first item is the Basic Offset Table (possibly empty).
                        if (length > (uint)_options.MaxBufferedValueLength && !_stableSource)
                            {
                                throw new DicomFormatException("Basic Offset Table too large", pos, top.Tag);
                            }

                            if (reader.Remaining < length)
                        {
                            if (isFinal)
                                {
                                    throw Truncated(valuePos, top.Tag, length);
                                }

                                reader.Rewind(reader.Consumed - save);
                            return ParseStatus.NeedMoreData;
                        }
                        top.Fragments!.BasicOffsetTable = TakeValue(ref reader, (int)length, 4, top.BigEndian);
                        top.BasicOffsetTableRead = true;
                        break;
                    }
                    if (top.Fragments!.Items.Count >= _options.MaxFragments)
                    {
                        throw new DicomFormatException($"More than {_options.MaxFragments} fragments", pos, top.Tag);
                    }

                    if (length >= _options.BulkDataThreshold || (!_stableSource && length > (uint)_options.MaxBufferedValueLength))
                    {
                        top.Fragments!.Items.Add(new DicomFragment(default, new BulkDataReference(valuePos, length)));
                        StartSkip(length, top.Tag);
                        break;
                    }
                    if (reader.Remaining < length)
                    {
                        if (isFinal)
                            {
                                throw Truncated(valuePos, top.Tag, length);
                            }

                            reader.Rewind(reader.Consumed - save);
                        return ParseStatus.NeedMoreData;
                    }
                    top.Fragments!.Items.Add(new DicomFragment(TakeValue(ref reader, (int)length, 1, false)));
                    break;
                }
            }
        }
    }

    /// <summary>Reads one element of a data set or item; returns a status when parsing must pause or end.</summary>
    private ParseStatus? ReadDatasetElement(ref SequenceReader<byte> reader, ref Frame top, long baseOffset, bool isFinal)
    {
        var pos = baseOffset + reader.Consumed;
        var isRoot = _depth == 1;
        if (reader.Remaining < 8)
        {
            if (reader.Remaining == 0 && isFinal && isRoot && top.End < 0)
            {
                return ParseStatus.Completed;
            }

            if (!isFinal)
            {
                return ParseStatus.NeedMoreData;
            }

            if (isRoot && top.End < 0)
            {
                Warn(pos, default, $"{reader.Remaining} trailing bytes after the data set ignored");
                reader.Advance(reader.Remaining);
                return ParseStatus.Completed;
            }
            throw Truncated(pos, top.Tag, 8);
        }

        var save = reader.Consumed;
        var tag = ReadTag(ref reader, top.BigEndian);

        if (tag == DicomTag.ItemDelimitationItem)
        {
            reader.TryReadLittleEndian(out int _);
            if (_depth > 1 && top.End < 0)
            {
                _depth--; // end of an undefined-length item
                return null;
            }
            Warn(pos, tag, "Stray Item Delimitation Item ignored");
            return null;
        }
        if (tag == DicomTag.SequenceDelimitationItem || tag == DicomTag.Item)
        {
            reader.TryReadLittleEndian(out int _);
            if (isRoot)
            {
                Warn(pos, tag, "Stray delimiter in the data set ignored");
                return null;
            }
            throw new DicomFormatException($"Unexpected {tag} inside an item", pos, top.Tag);
        }

        if (isRoot && _stopBefore is not null && _stopBefore(tag))
        {
            reader.Rewind(reader.Consumed - save);
            StoppedAt = tag;
            return ParseStatus.Stopped;
        }

        if (isRoot && tag.Value == 0 && top.End < 0 && IsAllZero(reader.UnreadSequence))
        {
            // Zero padding after the data set, seen in files written by some devices.
            Warn(pos, default, "Zero padding after the data set ignored");
            reader.Advance(reader.Remaining);
            return isFinal ? ParseStatus.Completed : ParseStatus.NeedMoreData;
        }

        // VR and length (PS3.5 7.1.2 explicit, 7.1.3 implicit).
        DicomVR vr;
        uint length;
        var explicitHere = top.Explicit;
        if (explicitHere)
        {
            reader.TryPeek(0, out var v0);
            reader.TryPeek(1, out var v1);
            if (!IsVRChar(v0) || !IsVRChar(v1))
            {
                // Real-world: an implicit VR element inside an explicit VR data set. Read it as implicit.
                Warn(pos, tag, "Invalid explicit VR bytes, element read as implicit VR");
                explicitHere = false;
            }
        }
        int headerLength;
        if (explicitHere)
        {
            reader.TryRead(out var c0);
            reader.TryRead(out var c1);
            vr = DicomVR.FromChars(c0, c1);
            if (!vr.IsKnown)
            {
                Warn(pos, tag, $"Unknown VR {vr}, read with a 32-bit length");
            }

            if (vr.HasLongExplicitLength)
            {
                if (reader.Remaining < 6)
                {
                    if (isFinal)
                    {
                        throw Truncated(pos, tag, 12);
                    }

                    reader.Rewind(reader.Consumed - save);
                    return ParseStatus.NeedMoreData;
                }
                reader.Advance(2);
                length = ReadUInt32(ref reader, top.BigEndian);
                headerLength = 12;
            }
            else
            {
                length = ReadUInt16(ref reader, top.BigEndian);
                headerLength = 8;
            }
        }
        else
        {
            length = ReadUInt32(ref reader, top.BigEndian);
            vr = DicomDictionary.GetDefaultVR(tag);
            if (vr == DicomVR.US && IsSignedPixelContext(top.Dataset!) && DicomDictionary.TryGetEntry(tag, out var entry)
                && Array.IndexOf(entry.VRs, DicomVR.SS) >= 0)
            {
                vr = DicomVR.SS; // "US or SS" follows Pixel Representation (PS3.5 A.1 note; PS3.3 C.7.6.3.1)
            }

            headerLength = 8;
        }

        var valuePos = pos + headerLength;
        var dataset = top.Dataset!;

        // Undefined length: a sequence, or encapsulated pixel data (PS3.5 7.5, A.4).
        if (length == uint.MaxValue)
        {
            var isPixelData = tag == DicomTag.PixelData;
            var asSequence = vr == DicomVR.SQ
                || (!isPixelData && (vr == DicomVR.UN || !vr.IsKnown || (tag.IsPrivate && vr != DicomVR.OB && vr != DicomVR.OW)));
            if (asSequence)
            {
                // UN (or an unknown private element) with undefined length holds a sequence encoded in
                // Implicit VR Little Endian (PS3.5 6.2.2 note).
                var implicitInside = vr != DicomVR.SQ;
                var seq = new DicomSequence { UndefinedLength = true };
                AddElement(dataset, new DicomElement(tag, seq), pos);
                Push(new Frame
                {
                    Kind = FrameKind.Sequence, End = -1, Sequence = seq, Tag = tag,
                    Explicit = !implicitInside && top.Explicit, BigEndian = !implicitInside && top.BigEndian,
                }, pos);
                return null;
            }
            if (vr == DicomVR.OB || vr == DicomVR.OW || vr == DicomVR.UN || tag == DicomTag.PixelData)
            {
                // PS3.5 A.4: encapsulated Pixel Data has VR OB whatever the file says.
                if (vr != DicomVR.OB)
                {
                    Warn(pos, tag, $"Encapsulated pixel data with VR {vr}, read as OB");
                }

                var fragments = new DicomFragments(default, []);
                AddElement(dataset, new DicomElement(tag, DicomVR.OB, fragments), pos);
                Push(new Frame { Kind = FrameKind.Fragments, End = -1, Fragments = fragments, Tag = tag, Explicit = top.Explicit, BigEndian = top.BigEndian }, pos);
                return null;
            }
            throw new DicomFormatException($"Undefined length on a {vr} element", pos, tag);
        }

        var end = valuePos + length;
        if (top.End >= 0 && end > top.End)
        {
            throw new DicomFormatException($"Value length {length} larger than what remains of the item", pos, tag);
        }

        if (vr == DicomVR.SQ)
        {
            var seq = new DicomSequence { UndefinedLength = false };
            AddElement(dataset, new DicomElement(tag, seq), pos);
            if (length > 0)
            {
                Push(new Frame { Kind = FrameKind.Sequence, End = end, Sequence = seq, Tag = tag, Explicit = top.Explicit, BigEndian = top.BigEndian }, pos);
            }

            return null;
        }

        if ((length & 1) == 1)
        {
            Warn(pos, tag, $"Odd value length {length}");
        }

        var bulkByVR = vr.IsByteStream || vr == DicomVR.OW || vr == DicomVR.OF || vr == DicomVR.OD || vr == DicomVR.OL || vr == DicomVR.OV;
        if ((bulkByVR && length >= _options.BulkDataThreshold) || (!_stableSource && length > (uint)_options.MaxBufferedValueLength))
        {
            AddElement(dataset, new DicomElement(tag, vr, new BulkDataReference(valuePos, length)), pos);
            StartSkip(length, tag);
            return null;
        }

        if (reader.Remaining < length)
        {
            if (isFinal)
            {
                throw Truncated(valuePos, tag, length);
            }

            reader.Rewind(reader.Consumed - save);
            return ParseStatus.NeedMoreData;
        }

        var value = TakeValue(ref reader, (int)length, vr.UnitSize, top.BigEndian);
        AddElement(dataset, new DicomElement(tag, vr, value), pos);
        return null;
    }

    /// <summary>Pixel Representation (0028,0103) is 1 in this data set or, failing that, in the top-level one.</summary>
    private bool IsSignedPixelContext(DicomDataset dataset) =>
        (dataset.GetUInt16(DicomTag.PixelRepresentation) ?? _stack[0].Dataset!.GetUInt16(DicomTag.PixelRepresentation)) == 1;

    private void AddElement(DicomDataset dataset, in DicomElement element, long pos)
    {
        var last = dataset.LastOrDefault();
        if (dataset.Count == 0 || last.Tag < element.Tag)
        {
            dataset.AddInOrder(element);
            return;
        }
        Warn(pos, element.Tag, last.Tag == element.Tag ? "Duplicate element, the later one kept" : "Element out of ascending tag order");
        dataset.Set(element);
    }

    private void Push(in Frame frame, long pos)
    {
        // Each nesting level is a sequence frame plus an item frame.
        if (_depth >= _options.MaxSequenceDepth * 2 + 1)
        {
            throw new DicomFormatException("Sequences nested deeper than the allowed bound", pos, frame.Tag);
        }

        if (_depth == _stack.Length)
        {
            Array.Resize(ref _stack, _stack.Length * 2);
        }

        if (frame.Kind == FrameKind.Dataset && frame.Dataset is not null)
        {
            // An item inherits the character set of the data set that holds its sequence (PS3.5 7.5.3).
            var parent = _stack[_depth - 2 >= 0 ? _depth - 2 : 0].Dataset;
            if (parent is not null)
            {
                frame.Dataset.InheritedCharacterSet = parent.CharacterSet;
            }
        }
        _stack[_depth++] = frame;
    }

    private static void CheckNestedEnd(ref Frame parent, long end, long pos, DicomTag tag)
    {
        if (end >= 0 && parent.End >= 0 && end > parent.End)
        {
            throw new DicomFormatException("Item length larger than what remains of the sequence", pos, tag);
        }
    }

    private void StartSkip(long length, DicomTag tag)
    {
        _skipRemaining = length;
        _skipTotal = length;
        _skipTag = tag;
    }

    private ReadOnlyMemory<byte> TakeValue(ref SequenceReader<byte> reader, int length, int unit, bool bigEndian)
    {
        if (length == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var slice = reader.UnreadSequence.Slice(0, length);
        reader.Advance(length);
        if (bigEndian && unit > 1)
        {
            var copy = slice.ToArray();
            SwapInPlace(copy, unit);
            return copy;
        }
        if (_stableSource && slice.IsSingleSegment)
        {
            return slice.First;
        }

        if (_arena is not null)
        {
            return _arena.Copy(slice);
        }

        return slice.ToArray();
    }

    internal static void SwapInPlace(Span<byte> data, int unit)
    {
        var n = data.Length - data.Length % unit;
        switch (unit)
        {
            case 2:
                for (var i = 0; i < n; i += 2)
                {
                    (data[i], data[i + 1]) = (data[i + 1], data[i]);
                }

                break;
            case 4:
                for (var i = 0; i < n; i += 4)
                {
                    data.Slice(i, 4).Reverse();
                }

                break;
            case 8:
                for (var i = 0; i < n; i += 8)
                {
                    data.Slice(i, 8).Reverse();
                }

                break;
        }
    }

    private static (DicomTag Tag, uint Length) ReadItemHeader(ref SequenceReader<byte> reader, bool bigEndian) =>
        (ReadTag(ref reader, bigEndian), ReadUInt32(ref reader, bigEndian));

    private static DicomTag ReadTag(ref SequenceReader<byte> reader, bool bigEndian)
    {
        var g = ReadUInt16(ref reader, bigEndian);
        var e = ReadUInt16(ref reader, bigEndian);
        return new DicomTag(g, e);
    }

    private static ushort ReadUInt16(ref SequenceReader<byte> reader, bool bigEndian)
    {
        if (reader.UnreadSpan.Length >= 2)
        {
            var v = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(reader.UnreadSpan) : BinaryPrimitives.ReadUInt16LittleEndian(reader.UnreadSpan);
            reader.Advance(2);
            return v;
        }
        if (bigEndian) { reader.TryReadBigEndian(out short s); return (ushort)s; }
        reader.TryReadLittleEndian(out short l);
        return (ushort)l;
    }

    private static uint ReadUInt32(ref SequenceReader<byte> reader, bool bigEndian)
    {
        if (reader.UnreadSpan.Length >= 4)
        {
            var v = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(reader.UnreadSpan) : BinaryPrimitives.ReadUInt32LittleEndian(reader.UnreadSpan);
            reader.Advance(4);
            return v;
        }
        if (bigEndian) { reader.TryReadBigEndian(out int s); return (uint)s; }
        reader.TryReadLittleEndian(out int l);
        return (uint)l;
    }

    private static bool IsVRChar(byte b) => b is >= (byte)'A' and <= (byte)'Z';

    private static bool IsAllZero(ReadOnlySequence<byte> rest)
    {
        foreach (var segment in rest)
        {
            if (segment.Span.IndexOfAnyExcept((byte)0) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private void Warn(long offset, DicomTag tag, string message)
    {
        if (_warnings.Count < 1000)
        {
            _warnings.Add(new DicomReadWarning(offset, tag, message));
        }
    }

    private static DicomFormatException Truncated(long offset, DicomTag tag, long needed) =>
        new($"Truncated data: {needed} bytes expected", offset, tag);
}

/// <summary>
/// Backing store for values copied out of transient buffers (network streams): small values are packed into shared
/// blocks so a header costs a few allocations, not one per element.
/// </summary>
internal sealed class ValueArena
{
    private const int BlockSize = 32 * 1024;
    private byte[]? _block;
    private int _used;

    public ReadOnlyMemory<byte> Copy(ReadOnlySequence<byte> source)
    {
        var length = (int)source.Length;
        if (length > BlockSize / 4)
        {
            return source.ToArray();
        }

        if (_block is null || _used + length > _block.Length)
        {
            _block = new byte[BlockSize];
            _used = 0;
        }
        var target = _block.AsMemory(_used, length);
        source.CopyTo(target.Span);
        _used += length;
        return target;
    }
}
