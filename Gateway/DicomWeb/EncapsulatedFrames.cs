using Pacs.Dicom;
using Pacs.Dicom.Codecs;
using Pacs.Gateway.Storage;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// The compressed frames of a stored instance and their decoding (PS3.5 A.4): which fragments make each frame (the
/// offset tables, else one fragment per frame, else the fragments that begin a codestream), the frame's bytes read
/// from the blob, bounded, and decoded by <see cref="FrameDecoders"/>.
/// </summary>
internal static class EncapsulatedFrames
{
    /// <summary>A compressed frame may exceed its decoded size a little (incompressible data); more is refused unread.</summary>
    public static long MaxEncodedLength(FrameGeometry geometry) => geometry.Length * 2 + 64 * 1024;

    /// <summary>The fragments of each frame; null when they cannot be told apart.</summary>
    public static async Task<IReadOnlyList<int[]>?> GroupsAsync(IBlobStore blobs, string blobKey, PixelDataLayout layout, CancellationToken cancellationToken)
    {
        if (layout.FragmentsOfFrames() is { } known)
        {
            return known;
        }

        if (layout.Fragments.Count > 1_000_000)
        {
            return null;
        }
        // No usable offset table and more fragments than frames: a frame starts at each fragment that starts a
        // codestream (PS3.5 A.4: a frame may span fragments, a fragment holds at most one frame).
        var starts = new bool[layout.Fragments.Count];
        var head = new byte[8];
        await using var stream = await blobs.OpenReadAsync(blobKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < starts.Length; i++)
        {
            var fragment = layout.Fragments[i];
            stream.Seek(fragment.Offset, SeekOrigin.Begin);
            var n = (int)Math.Min(head.Length, fragment.Length);
            await stream.ReadExactlyAsync(head.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            starts[i] = PixelDataLayout.IsCodestreamStart(head.AsSpan(0, n));
        }

        return PixelDataLayout.FragmentsOfFramesByStarts(starts, layout.NumberOfFrames);
    }

    /// <summary>Frame <paramref name="frame"/> (0-based) decoded to native pixels (<see cref="IFrameDecoder"/>).</summary>
    public static async Task<byte[]> DecodeAsync(IBlobStore blobs, string blobKey, PixelDataLayout layout, IReadOnlyList<int[]> groups, int frame,
        IFrameDecoder decoder, FrameGeometry geometry, CancellationToken cancellationToken)
    {
        var fragments = groups[frame];
        long total = 0;
        foreach (var i in fragments)
        {
            total += layout.Fragments[i].Length;
        }

        if (total > MaxEncodedLength(geometry))
        {
            throw new DicomFormatException($"Frame {frame + 1} is {total} bytes compressed, more than its {geometry.Length} bytes decoded allow", layout.Fragments[fragments[0]].Offset, DicomTag.PixelData);
        }

        var encoded = new byte[total];
        var at = 0;
        await using (var stream = await blobs.OpenReadAsync(blobKey, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            foreach (var i in fragments)
            {
                var fragment = layout.Fragments[i];
                stream.Seek(fragment.Offset, SeekOrigin.Begin);
                await stream.ReadExactlyAsync(encoded.AsMemory(at, (int)fragment.Length), cancellationToken).ConfigureAwait(false);
                at += (int)fragment.Length;
            }
        }

        return decoder.Decode(encoded, geometry);
    }
}
