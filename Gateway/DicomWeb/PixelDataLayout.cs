using System.Buffers.Binary;
using Pacs.Dicom;
using Pacs.Dicom.Codecs;

namespace Pacs.Gateway.DicomWeb;

/// <summary>A byte range of a blob.</summary>
public readonly record struct BlobRange(long Offset, long Length);

/// <summary>
/// Where an instance's pixel data lies in its blob and how it splits into frames. Found by parsing the header up to
/// Pixel Data and walking the fragment items (<see cref="PixelDataLocator"/>); the frame arithmetic is here, pure.
/// </summary>
public sealed record PixelDataLayout
{
    public required DicomTransferSyntax TransferSyntax { get; init; }
    public required DicomVR VR { get; init; }
    public int Rows { get; init; }
    public int Columns { get; init; }
    public int SamplesPerPixel { get; init; } = 1;
    public int BitsAllocated { get; init; }
    public int NumberOfFrames { get; init; } = 1;

    /// <summary>Native: the value. Encapsulated: unused.</summary>
    public BlobRange Value { get; init; }

    /// <summary>Encapsulated: each fragment's value (not the Basic Offset Table item).</summary>
    public IReadOnlyList<BlobRange> Fragments { get; init; } = [];

    /// <summary>True when the value is a sequence of items (undefined length, PS3.5 A.4), whatever the transfer syntax says.</summary>
    public bool ItemSequence { get; init; }

    /// <summary>
    /// True when the blob ends before the value does: a defined length past its end, or items without their Sequence
    /// Delimitation Item (PS3.5 A.4). Readers serve what is there; the index rebuild refuses such a blob.
    /// </summary>
    public bool Truncated { get; init; }

    /// <summary>Frame start offsets from the Extended Offset Table (7FE0,0001) or a non-empty Basic Offset Table.</summary>
    public IReadOnlyList<ulong>? FrameOffsets { get; init; }

    public bool Encapsulated => TransferSyntax.IsEncapsulated;

    /// <summary>Bytes to swap per value when the stored data is big-endian (OW: 2; OF: 4; OD: 8), else 1.</summary>
    public int SwapUnit => !TransferSyntax.IsBigEndian ? 1 : VR == DicomVR.OW ? 2 : VR == DicomVR.OF ? 4 : VR == DicomVR.OD ? 8 : 1;

    /// <summary>
    /// The range of native frame <paramref name="frame"/> (0-based): frames follow one another without padding,
    /// Rows x Columns x Samples per Pixel x Bits Allocated bits each (PS3.5 8.1.1, PS3.3 C.7.6.3.1.4). Null when the
    /// frame does not start on a byte (1-bit frames whose size is not a multiple of 8) or lies beyond the value.
    /// </summary>
    public static BlobRange? NativeFrame(int frame, int rows, int columns, int samplesPerPixel, int bitsAllocated, BlobRange value)
    {
        if (frame < 0 || rows <= 0 || columns <= 0 || samplesPerPixel <= 0 || bitsAllocated <= 0)
        {
            return null;
        }

        var frameBits = (long)rows * columns * samplesPerPixel * bitsAllocated;
        var startBits = frameBits * frame;
        if (startBits % 8 != 0)
        {
            return null;
        }

        var start = startBits / 8;
        var length = (frameBits + 7) / 8;
        if (start + length > value.Length)
        {
            return null;
        }

        return new BlobRange(value.Offset + start, length);
    }

    public BlobRange? NativeFrame(int frame) => NativeFrame(frame, Rows, Columns, SamplesPerPixel, BitsAllocated, Value);

    /// <inheritdoc cref="FrameFragments.Group"/>
    public static IReadOnlyList<int[]>? FragmentsOfFrames(IReadOnlyList<long> fragmentLengths, IReadOnlyList<ulong>? frameOffsets, int numberOfFrames) =>
        FrameFragments.Group(fragmentLengths, frameOffsets, numberOfFrames);

    /// <inheritdoc cref="FrameFragments.GroupByStarts"/>
    public static IReadOnlyList<int[]>? FragmentsOfFramesByStarts(IReadOnlyList<bool> starts, int numberOfFrames) =>
        FrameFragments.GroupByStarts(starts, numberOfFrames);

    /// <inheritdoc cref="FrameFragments.IsCodestreamStart"/>
    public static bool IsCodestreamStart(ReadOnlySpan<byte> head) => FrameFragments.IsCodestreamStart(head);

    public IReadOnlyList<int[]>? FragmentsOfFrames() =>
        FragmentsOfFrames(Fragments.Select(f => f.Length).ToList(), FrameOffsets, NumberOfFrames);

    /// <summary>Swaps each value of <paramref name="unit"/> bytes in place (big-endian to little-endian).</summary>
    public static void SwapInPlace(Span<byte> data, int unit)
    {
        switch (unit)
        {
            case 2:
                for (var i = 0; i + 2 <= data.Length; i += 2)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(data[i..], BinaryPrimitives.ReadUInt16BigEndian(data[i..]));
                }

                break;
            case 4:
                for (var i = 0; i + 4 <= data.Length; i += 4)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(data[i..], BinaryPrimitives.ReadUInt32BigEndian(data[i..]));
                }

                break;
            case 8:
                for (var i = 0; i + 8 <= data.Length; i += 8)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(data[i..], BinaryPrimitives.ReadUInt64BigEndian(data[i..]));
                }

                break;
        }
    }
}
