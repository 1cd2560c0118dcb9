using System.Buffers.Binary;
using System.IO.Compression;

namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>
/// A PNG writer (ISO/IEC 15948 / W3C PNG 2nd edition) for 8-bit grayscale and RGB: signature, IHDR, one IDAT of zlib
/// data, IEND. Each row but the first uses the Up filter (PNG 9.2, filter type 2), which suits the smooth gradients of medical images
/// and costs nothing to choose.
/// </summary>
internal static class PngEncoder
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(RenderedImage image, CompressionLevel level = CompressionLevel.Fastest)
    {
        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], image.Height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = image.Channels == 1 ? (byte)0 : (byte)2; // colour type: greyscale or truecolour
        ihdr[10] = 0; // deflate
        ihdr[11] = 0; // adaptive filtering
        ihdr[12] = 0; // no interlace
        WriteChunk(output, "IHDR"u8, ihdr);

        var stride = image.Width * image.Channels;
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, level, leaveOpen: true))
            {
                var row = new byte[stride + 1];
                var pixels = image.Pixels;
                for (var y = 0; y < image.Height; y++)
                {
                    var current = pixels.AsSpan(y * stride, stride);
                    if (y == 0)
                    {
                        row[0] = 0; // None
                        current.CopyTo(row.AsSpan(1));
                    }
                    else
                    {
                        row[0] = 2; // Up: byte minus the byte above, modulo 256
                        var above = pixels.AsSpan((y - 1) * stride, stride);
                        for (var x = 0; x < stride; x++)
                        {
                            row[x + 1] = (byte)(current[x] - above[x]);
                        }
                    }

                    zlib.Write(row);
                }
            }

            WriteChunk(output, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        }

        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        type.CopyTo(header[4..]);
        output.Write(header);
        output.Write(data);
        // The CRC covers the chunk type and data, not the length.
        var crc = Crc32.Append(Crc32.Append(Crc32.Initial, type), data);
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, Crc32.Finish(crc));
        output.Write(trailer);
    }
}

/// <summary>CRC-32 of ISO 3309 / ITU-T V.42 (the PNG and zlib-gzip polynomial 0xEDB88320, reflected), table driven.</summary>
internal static class Crc32
{
    public const uint Initial = 0xFFFFFFFFu;

    private static readonly uint[] Table = BuildTable();

    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var table = Table;
        foreach (var b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    public static uint Finish(uint crc) => crc ^ 0xFFFFFFFFu;

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Initial, data));

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
