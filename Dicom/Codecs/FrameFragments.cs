namespace Pacs.Dicom.Codecs;

/// <summary>
/// Which fragments of encapsulated Pixel Data make each frame (PS3.5 A.4): pure arithmetic over fragment lengths,
/// offset tables and codestream starts, shared by the gateway (fragments in a blob) and the network layer (fragments
/// in memory).
/// </summary>
public static class FrameFragments
{
    /// <summary>
    /// Fragments of each frame (PS3.5 A.4): by the frame offsets (Extended or Basic Offset Table, relative to the first
    /// fragment's item tag, 8 header bytes per item); else one fragment per frame when the counts agree; else every
    /// fragment for a single frame. Null when the frames cannot be told apart.
    /// </summary>
    public static IReadOnlyList<int[]>? Group(IReadOnlyList<long> fragmentLengths, IReadOnlyList<ulong>? frameOffsets, int numberOfFrames)
    {
        var frames = Math.Max(1, numberOfFrames);
        if (fragmentLengths.Count == 0)
        {
            return null;
        }

        if (frameOffsets is { Count: > 0 } offsets)
        {
            if (offsets.Count != frames)
            {
                return null;
            }

            var result = new List<int>[frames];
            for (var f = 0; f < frames; f++)
            {
                result[f] = [];
            }

            ulong position = 0;
            var frame = 0;
            for (var i = 0; i < fragmentLengths.Count; i++)
            {
                while (frame + 1 < frames && position >= offsets[frame + 1])
                {
                    frame++;
                }

                if (position < offsets[frame])
                {
                    return null; // fragment before the first frame: inconsistent table
                }

                result[frame].Add(i);
                position += 8 + (ulong)fragmentLengths[i];
            }
            return result.Any(r => r.Count == 0) ? null : result.Select(r => r.ToArray()).ToList();
        }
        if (fragmentLengths.Count == frames)
        {
            return Enumerable.Range(0, frames).Select(i => new[] { i }).ToList();
        }

        if (frames == 1)
        {
            return [Enumerable.Range(0, fragmentLengths.Count).ToArray()];
        }

        return null;
    }

    /// <summary>
    /// Fragments of each frame when a frame starts at each fragment that starts a codestream (<paramref name="starts"/>):
    /// null unless the first fragment starts one and there are exactly <paramref name="numberOfFrames"/> starts.
    /// </summary>
    public static IReadOnlyList<int[]>? GroupByStarts(IReadOnlyList<bool> starts, int numberOfFrames)
    {
        if (starts.Count == 0 || !starts[0])
        {
            return null;
        }

        var result = new List<List<int>>();
        for (var i = 0; i < starts.Count; i++)
        {
            if (starts[i])
            {
                result.Add([]);
            }

            result[^1].Add(i);
        }
        return result.Count == Math.Max(1, numberOfFrames) ? result.Select(r => r.ToArray()).ToList() : null;
    }

    /// <summary>
    /// Whether a fragment begins a compressed frame: JPEG and JPEG-LS SOI (ITU-T T.81 B.2.1, T.87), a JPEG 2000
    /// codestream's SOC and SIZ (ISO/IEC 15444-1 A.4.1), or a JP2 signature box.
    /// </summary>
    public static bool IsCodestreamStart(ReadOnlySpan<byte> head) =>
        head is [0xFF, 0xD8, 0xFF, ..] || head is [0xFF, 0x4F, 0xFF, 0x51, ..] || head is [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20];
}
