namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>
/// A baseline sequential DCT JPEG writer (ITU-T T.81, process 1: 8-bit samples, Huffman coding) in a JFIF wrapper:
/// grayscale as one component, colour as YCbCr without subsampling (4:4:4, which keeps fine coloured overlays
/// readable). Quantisation tables are those of T.81 Annex K.1/K.2 scaled by quality the usual way; Huffman tables are
/// the typical ones of Annex K.3.
/// </summary>
internal static class JpegEncoder
{
    // T.81 Annex K.1 and K.2, natural (row-major) order.
    private static readonly byte[] LuminanceQuantization =
    [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];

    private static readonly byte[] ChrominanceQuantization =
    [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
        47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ];

    /// <summary>Zig-zag sequence (T.81 Figure 5): the natural index of the k-th coefficient.</summary>
    internal static readonly byte[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    // T.81 Annex K.3: BITS (codes of each length 1..16) and HUFFVAL.
    internal static readonly byte[] DcLuminanceBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    internal static readonly byte[] DcLuminanceValues = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    internal static readonly byte[] DcChrominanceBits = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
    internal static readonly byte[] DcChrominanceValues = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    internal static readonly byte[] AcLuminanceBits = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
    internal static readonly byte[] AcLuminanceValues =
    [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
        0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
        0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
        0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
        0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
        0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
        0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
        0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
        0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
        0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
        0xf9, 0xfa,
    ];
    internal static readonly byte[] AcChrominanceBits = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
    internal static readonly byte[] AcChrominanceValues =
    [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
        0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
        0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
        0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
        0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
        0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
        0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
        0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
        0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
        0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
        0xf9, 0xfa,
    ];

    private static readonly HuffmanTable DcLuminance = new(DcLuminanceBits, DcLuminanceValues);
    private static readonly HuffmanTable AcLuminance = new(AcLuminanceBits, AcLuminanceValues);
    private static readonly HuffmanTable DcChrominance = new(DcChrominanceBits, DcChrominanceValues);
    private static readonly HuffmanTable AcChrominance = new(AcChrominanceBits, AcChrominanceValues);

    // cos((2x+1)uπ/16) * C(u)/2 with C(0) = 1/√2 (T.81 A.3.3), so that F = Σx Σy T[u,x] T[v,y] f(x,y).
    private static readonly float[] DctMatrix = BuildDctMatrix();

    public static byte[] Encode(RenderedImage image, int quality = 90)
    {
        quality = Math.Clamp(quality, 1, 100);
        var lumaTable = ScaleQuantization(LuminanceQuantization, quality);
        var chromaTable = ScaleQuantization(ChrominanceQuantization, quality);
        var color = image.Channels == 3;

        var output = new MemoryStream(image.Width * image.Height / 4 + 1024);
        WriteMarker(output, 0xD8); // SOI
        WriteJfif(output);
        WriteQuantization(output, 0, lumaTable);
        if (color)
        {
            WriteQuantization(output, 1, chromaTable);
        }

        WriteFrameHeader(output, image.Width, image.Height, color);
        WriteHuffman(output, 0x00, DcLuminanceBits, DcLuminanceValues);
        WriteHuffman(output, 0x10, AcLuminanceBits, AcLuminanceValues);
        if (color)
        {
            WriteHuffman(output, 0x01, DcChrominanceBits, DcChrominanceValues);
            WriteHuffman(output, 0x11, AcChrominanceBits, AcChrominanceValues);
        }

        WriteScanHeader(output, color);
        EncodeScan(output, image, lumaTable, chromaTable);
        WriteMarker(output, 0xD9); // EOI
        return output.ToArray();
    }

    private static void EncodeScan(MemoryStream output, RenderedImage image, byte[] lumaTable, byte[] chromaTable)
    {
        var bits = new BitWriter(output);
        var components = image.Channels;
        Span<float> y = stackalloc float[64];
        Span<float> cb = stackalloc float[64];
        Span<float> cr = stackalloc float[64];
        Span<float> work = stackalloc float[64];
        Span<short> coefficients = stackalloc short[64];
        int previousY = 0, previousCb = 0, previousCr = 0;
        var width = image.Width;
        var height = image.Height;
        var pixels = image.Pixels;

        for (var by = 0; by < height; by += 8)
        {
            for (var bx = 0; bx < width; bx += 8)
            {
                // Edge blocks repeat the last row and column (T.81 A.2.4 leaves the padding to the encoder).
                for (var j = 0; j < 8; j++)
                {
                    var row = Math.Min(by + j, height - 1);
                    for (var i = 0; i < 8; i++)
                    {
                        var col = Math.Min(bx + i, width - 1);
                        var k = j * 8 + i;
                        if (components == 1)
                        {
                            y[k] = pixels[row * width + col] - 128f;
                        }
                        else
                        {
                            var p = (row * width + col) * 3;
                            float r = pixels[p], g = pixels[p + 1], b = pixels[p + 2];
                            // JFIF 1.02 RGB to YCbCr, level-shifted by -128 (T.81 A.3.1).
                            y[k] = 0.299f * r + 0.587f * g + 0.114f * b - 128f;
                            cb[k] = -0.168736f * r - 0.331264f * g + 0.5f * b;
                            cr[k] = 0.5f * r - 0.418688f * g - 0.081312f * b;
                        }
                    }
                }

                previousY = EncodeBlock(bits, y, work, coefficients, lumaTable, previousY, DcLuminance, AcLuminance);
                if (components == 3)
                {
                    previousCb = EncodeBlock(bits, cb, work, coefficients, chromaTable, previousCb, DcChrominance, AcChrominance);
                    previousCr = EncodeBlock(bits, cr, work, coefficients, chromaTable, previousCr, DcChrominance, AcChrominance);
                }
            }
        }

        bits.Flush();
    }

    private static int EncodeBlock(BitWriter bits, Span<float> block, Span<float> work, Span<short> coefficients, byte[] table, int previousDc,
        HuffmanTable dc, HuffmanTable ac)
    {
        ForwardDct(block, work);
        for (var k = 0; k < 64; k++)
        {
            var natural = ZigZag[k];
            coefficients[k] = (short)MathF.Round(work[natural] / table[natural]);
        }

        // DC: difference from the previous block of the component (T.81 F.1.2.1).
        var diff = coefficients[0] - previousDc;
        var size = Magnitude(diff);
        bits.Write(dc.Codes[size], dc.Lengths[size]);
        if (size > 0)
        {
            bits.Write(AdditionalBits(diff, size), size);
        }

        // AC: runs of zeros and magnitudes (T.81 F.1.2.2).
        var run = 0;
        for (var k = 1; k < 64; k++)
        {
            var value = coefficients[k];
            if (value == 0)
            {
                run++;
                continue;
            }

            while (run > 15)
            {
                bits.Write(ac.Codes[0xF0], ac.Lengths[0xF0]); // ZRL
                run -= 16;
            }

            size = Magnitude(value);
            var symbol = (run << 4) | size;
            bits.Write(ac.Codes[symbol], ac.Lengths[symbol]);
            bits.Write(AdditionalBits(value, size), size);
            run = 0;
        }

        if (run > 0)
        {
            bits.Write(ac.Codes[0x00], ac.Lengths[0x00]); // EOB
        }

        return coefficients[0];
    }

    /// <summary>The separable 2-D DCT-II of T.81 A.3.3: rows then columns.</summary>
    private static void ForwardDct(ReadOnlySpan<float> block, Span<float> output)
    {
        Span<float> temp = stackalloc float[64];
        var m = DctMatrix;
        for (var y = 0; y < 8; y++)
        {
            for (var u = 0; u < 8; u++)
            {
                var s = 0f;
                for (var x = 0; x < 8; x++)
                {
                    s += m[u * 8 + x] * block[y * 8 + x];
                }

                temp[y * 8 + u] = s;
            }
        }

        for (var u = 0; u < 8; u++)
        {
            for (var v = 0; v < 8; v++)
            {
                var s = 0f;
                for (var y = 0; y < 8; y++)
                {
                    s += m[v * 8 + y] * temp[y * 8 + u];
                }

                output[v * 8 + u] = s;
            }
        }
    }

    private static float[] BuildDctMatrix()
    {
        var m = new float[64];
        for (var u = 0; u < 8; u++)
        {
            var c = u == 0 ? 1 / Math.Sqrt(2) : 1.0;
            for (var x = 0; x < 8; x++)
            {
                m[u * 8 + x] = (float)(c / 2 * Math.Cos((2 * x + 1) * u * Math.PI / 16));
            }
        }

        return m;
    }

    /// <summary>SSSS, the magnitude category (T.81 Table F.1/F.2): bits needed for |value|.</summary>
    private static int Magnitude(int value)
    {
        var a = Math.Abs(value);
        return a == 0 ? 0 : 32 - int.LeadingZeroCount(a);
    }

    /// <summary>T.81 F.1.2.1: a negative value is sent as value - 1 in its SSSS low-order bits.</summary>
    private static int AdditionalBits(int value, int size) => (value < 0 ? value - 1 : value) & ((1 << size) - 1);

    /// <summary>The usual quality scaling of the Annex K tables (50 = as printed, 100 = all ones).</summary>
    private static byte[] ScaleQuantization(byte[] table, int quality)
    {
        var scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
        var scaled = new byte[64];
        for (var i = 0; i < 64; i++)
        {
            scaled[i] = (byte)Math.Clamp((table[i] * scale + 50) / 100, 1, 255);
        }

        return scaled;
    }

    private static void WriteMarker(Stream output, byte marker)
    {
        output.WriteByte(0xFF);
        output.WriteByte(marker);
    }

    private static void WriteSegmentHeader(Stream output, byte marker, int length)
    {
        WriteMarker(output, marker);
        output.WriteByte((byte)(length >> 8));
        output.WriteByte((byte)length);
    }

    private static void WriteJfif(Stream output)
    {
        WriteSegmentHeader(output, 0xE0, 16);
        output.Write("JFIF\0"u8);
        output.Write([1, 2, 0, 0, 1, 0, 1, 0, 0]); // version 1.02, aspect ratio 1:1, no thumbnail
    }

    private static void WriteQuantization(Stream output, int id, byte[] table)
    {
        WriteSegmentHeader(output, 0xDB, 2 + 65);
        output.WriteByte((byte)id); // 8-bit precision
        for (var k = 0; k < 64; k++)
        {
            output.WriteByte(table[ZigZag[k]]);
        }
    }

    private static void WriteFrameHeader(Stream output, int width, int height, bool color)
    {
        var components = color ? 3 : 1;
        WriteSegmentHeader(output, 0xC0, 8 + 3 * components); // SOF0, baseline
        output.WriteByte(8);
        output.WriteByte((byte)(height >> 8));
        output.WriteByte((byte)height);
        output.WriteByte((byte)(width >> 8));
        output.WriteByte((byte)width);
        output.WriteByte((byte)components);
        for (var c = 0; c < components; c++)
        {
            output.WriteByte((byte)(c + 1)); // component id
            output.WriteByte(0x11); // H = V = 1
            output.WriteByte(c == 0 ? (byte)0 : (byte)1); // quantisation table
        }
    }

    private static void WriteHuffman(Stream output, byte classAndId, byte[] bits, byte[] values)
    {
        WriteSegmentHeader(output, 0xC4, 2 + 1 + 16 + values.Length);
        output.WriteByte(classAndId);
        output.Write(bits);
        output.Write(values);
    }

    private static void WriteScanHeader(Stream output, bool color)
    {
        var components = color ? 3 : 1;
        WriteSegmentHeader(output, 0xDA, 6 + 2 * components);
        output.WriteByte((byte)components);
        for (var c = 0; c < components; c++)
        {
            output.WriteByte((byte)(c + 1));
            output.WriteByte(c == 0 ? (byte)0x00 : (byte)0x11); // DC/AC table ids
        }

        output.Write([0, 63, 0]); // Ss, Se, Ah/Al: the whole spectrum, no approximation
    }

    /// <summary>Codes for a BITS/HUFFVAL table, generated as in T.81 Annex C (Figures C.1 to C.3).</summary>
    internal sealed class HuffmanTable
    {
        public HuffmanTable(byte[] bits, byte[] values)
        {
            var code = 0;
            var k = 0;
            for (var length = 1; length <= 16; length++)
            {
                for (var i = 0; i < bits[length - 1]; i++)
                {
                    var symbol = values[k++];
                    Codes[symbol] = code++;
                    Lengths[symbol] = length;
                }

                code <<= 1;
            }
        }

        public int[] Codes { get; } = new int[256];
        public int[] Lengths { get; } = new int[256];
    }

    /// <summary>Entropy-coded bits, most significant first, with a 0x00 stuffed after every 0xFF byte (T.81 F.1.2.3).</summary>
    private sealed class BitWriter(Stream output)
    {
        private uint _buffer;
        private int _count;

        public void Write(int value, int length)
        {
            if (length == 0)
            {
                return;
            }

            _buffer = (_buffer << length) | ((uint)value & ((1u << length) - 1));
            _count += length;
            while (_count >= 8)
            {
                var b = (byte)(_buffer >> (_count - 8));
                output.WriteByte(b);
                if (b == 0xFF)
                {
                    output.WriteByte(0x00);
                }

                _count -= 8;
            }
        }

        /// <summary>Pads the last byte with 1-bits (T.81 F.1.2.3).</summary>
        public void Flush()
        {
            if (_count > 0)
            {
                Write((1 << (8 - _count)) - 1, 8 - _count);
            }
        }
    }
}
