using System.Buffers.Binary;

namespace Pacs.Dicom.Codecs;

/// <summary>
/// RLE Lossless (PS3.5 Annex G): a 64-byte header of segment count and offsets, then one PackBits segment per byte
/// plane, most significant byte of each sample first, each sample's planes after the previous sample's (PS3.5 G.2).
/// </summary>
internal sealed class RleDecoder : IFrameDecoder
{
    private const int HeaderLength = 64;
    private const int MaxSegments = 15; // PS3.5 G.4

    public byte[] Decode(ReadOnlyMemory<byte> encoded, FrameGeometry geometry)
    {
        var data = encoded.Span;
        if (data.Length < HeaderLength)
        {
            throw Bad("RLE header shorter than 64 bytes", 0);
        }

        var segments = BinaryPrimitives.ReadUInt32LittleEndian(data);
        var bytesPerSample = geometry.BytesPerSample;
        var expected = geometry.SamplesPerPixel * bytesPerSample;
        if (segments > MaxSegments || segments != expected)
        {
            throw Bad($"RLE frame has {segments} segments where {expected} are expected", 0);
        }

        var pixels = geometry.Rows * geometry.Columns;
        var output = new byte[geometry.Length];
        for (var s = 0; s < segments; s++)
        {
            var start = BinaryPrimitives.ReadUInt32LittleEndian(data[(4 + s * 4)..]);
            var end = s + 1 < segments ? BinaryPrimitives.ReadUInt32LittleEndian(data[(8 + s * 4)..]) : (uint)data.Length;
            if (start < HeaderLength || start > end || end > data.Length)
            {
                throw Bad($"RLE segment {s + 1} offset out of range", 4 + s * 4);
            }

            // Segment s holds byte (s % bytesPerSample) of sample (s / bytesPerSample), most significant first (G.2):
            // in little-endian output that byte sits at bytesPerSample - 1 - (s % bytesPerSample).
            var sample = s / bytesPerSample;
            var byteInSample = bytesPerSample - 1 - s % bytesPerSample;
            var stride = geometry.SamplesPerPixel * bytesPerSample;
            DecodeSegment(data[(int)start..(int)end], output, sample * bytesPerSample + byteInSample, stride, pixels, start);
        }

        return output;
    }

    /// <summary>PackBits (PS3.5 G.3.2): n in 0..127 copies n+1 bytes, -127..-1 repeats the next byte 1-n times, -128 is nothing.</summary>
    private static void DecodeSegment(ReadOnlySpan<byte> segment, byte[] output, int first, int stride, int count, long segmentOffset)
    {
        var written = 0;
        var i = 0;
        while (written < count && i < segment.Length)
        {
            var n = (sbyte)segment[i++];
            if (n >= 0)
            {
                var run = n + 1;
                if (i + run > segment.Length)
                {
                    throw Bad("RLE literal run past the segment end", segmentOffset + i);
                }

                run = Math.Min(run, count - written);
                for (var k = 0; k < run; k++)
                {
                    output[first + (written + k) * stride] = segment[i + k];
                }

                i += n + 1;
                written += run;
            }
            else if (n != -128)
            {
                if (i >= segment.Length)
                {
                    throw Bad("RLE replicate run past the segment end", segmentOffset + i);
                }

                var value = segment[i++];
                var run = Math.Min(1 - n, count - written);
                for (var k = 0; k < run; k++)
                {
                    output[first + (written + k) * stride] = value;
                }

                written += run;
            }
        }

        if (written < count)
        {
            throw Bad($"RLE segment decodes to {written} of {count} bytes", segmentOffset);
        }
    }

    private static DicomFormatException Bad(string reason, long offset) => new(reason, offset, DicomTag.PixelData);
}
