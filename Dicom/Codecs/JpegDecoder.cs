using JpegLibrary;

namespace Pacs.Dicom.Codecs;

/// <summary>
/// JPEG (PS3.5 A.4.1, ITU-T T.81) through the JpegLibrary package: baseline (process 1) and extended (processes 2
/// and 4); lossless is <see cref="JpegLosslessDecoder"/>. Samples come out as coded, without colour
/// conversion: a baseline frame coded as YCbCr (YBR_FULL_422 in the data set) decodes to full-resolution YBR_FULL.
/// </summary>
internal sealed class JpegDecoder : IFrameDecoder
{
    public byte[] Decode(ReadOnlyMemory<byte> encoded, FrameGeometry geometry)
    {
        var decoder = new JpegLibrary.JpegDecoder();
        try
        {
            decoder.SetInput(encoded);
            decoder.Identify();
            if (decoder.Width != geometry.Columns || decoder.Height != geometry.Rows || decoder.NumberOfComponents != geometry.SamplesPerPixel
                || decoder.Precision is < 2 or > 16 || decoder.Precision > geometry.BitsAllocated)
            {
                throw Bad($"JPEG frame is {decoder.Width}x{decoder.Height}x{decoder.NumberOfComponents} at {decoder.Precision} bits where the data set says " +
                          $"{geometry.Columns}x{geometry.Rows}x{geometry.SamplesPerPixel} at {geometry.BitsAllocated}");
            }

            var output = new byte[geometry.Length];
            decoder.SetOutputWriter(new FrameWriter(geometry, decoder.Precision, output));
            decoder.Decode();
            return output;
        }
        catch (DicomFormatException)
        {
            throw;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or NotSupportedException)
        {
            throw new DicomFormatException($"JPEG codestream could not be decoded: {e.Message}", 0, DicomTag.PixelData, e);
        }
    }

    private static DicomFormatException Bad(string reason) => new(reason, 0, DicomTag.PixelData);

    /// <summary>Writes the decoder's 8x8 blocks (image coordinates, one component each) into the interleaved frame.</summary>
    private sealed class FrameWriter(FrameGeometry geometry, int precision, byte[] output) : JpegBlockOutputWriter
    {
        private readonly int _max = (1 << precision) - 1;

        public override void WriteBlock(ref short blockRef, int componentIndex, int x, int y)
        {
            var width = geometry.Columns;
            var height = geometry.Rows;
            if (x >= width || y >= height || componentIndex >= geometry.SamplesPerPixel)
            {
                return;
            }

            var samples = geometry.SamplesPerPixel;
            var bytes = geometry.BytesPerSample;
            var block = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref blockRef, 64);
            var rows = Math.Min(8, height - y);
            var columns = Math.Min(8, width - x);
            for (var dy = 0; dy < rows; dy++)
            {
                for (var dx = 0; dx < columns; dx++)
                {
                    // DCT samples may overshoot either way after the inverse transform: clamped to the precision.
                    var value = Math.Clamp((int)block[dy * 8 + dx], 0, _max);
                    var at = (((y + dy) * width + x + dx) * samples + componentIndex) * bytes;
                    output[at] = (byte)value;
                    if (bytes > 1)
                    {
                        output[at + 1] = (byte)(value >> 8);
                    }
                }
            }
        }
    }
}
