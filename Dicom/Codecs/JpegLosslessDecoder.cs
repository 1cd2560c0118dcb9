using System.Buffers.Binary;

namespace Pacs.Dicom.Codecs;

/// <summary>
/// JPEG lossless, non-hierarchical, Huffman coded (process 14, PS3.5 A.4.1 and 8.2.1; ITU-T T.81 Annex H): any
/// selection value (1.2.840.10008.1.2.4.57) and first-order prediction (1.2.840.10008.1.2.4.70), 2 to 16 bits, one
/// or more components, interleaved or one scan per component, with restart intervals. Ours: JpegLibrary 0.4.32 decodes
/// selection value 1 only (its first line and 16-bit arithmetic are wrong for the other predictors).
/// </summary>
internal sealed class JpegLosslessDecoder : IFrameDecoder
{
    public byte[] Decode(ReadOnlyMemory<byte> encoded, FrameGeometry geometry)
    {
        var data = encoded.Span;
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            throw Bad("JPEG lossless frame does not start with SOI", 0);
        }

        var tables = new HuffmanTable?[4];
        var restartInterval = 0;
        Frame? frame = null;
        ushort[]? samples = null;
        var position = 2;
        while (position + 4 <= data.Length)
        {
            if (data[position] != 0xFF)
            {
                throw Bad("JPEG marker expected", position);
            }

            var marker = data[position + 1];
            if (marker == 0xFF)
            {
                position++; // fill byte (T.81 B.1.1.2)
                continue;
            }

            if (marker == 0xD9)
            {
                break; // EOI
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 2)..]);
            if (length < 2 || position + 2 + length > data.Length)
            {
                throw Bad("JPEG segment longer than the frame", position);
            }

            var segment = data.Slice(position + 4, length - 2);
            switch (marker)
            {
                case 0xC3: // SOF3: lossless, Huffman (T.81 B.2.2)
                    frame = ReadFrame(segment, geometry, position);
                    samples = new ushort[frame.Width * frame.Height * frame.Components.Length];
                    position += 2 + length;
                    break;
                case 0xC4: // DHT (T.81 B.2.4.2)
                    ReadTables(segment, tables, position);
                    position += 2 + length;
                    break;
                case 0xDD: // DRI (T.81 B.2.4.4)
                    if (segment.Length < 2)
                    {
                        throw Bad("JPEG DRI segment too short", position);
                    }

                    restartInterval = BinaryPrimitives.ReadUInt16BigEndian(segment);
                    position += 2 + length;
                    break;
                case 0xDA: // SOS (T.81 B.2.3)
                    if (frame is null || samples is null)
                    {
                        throw Bad("JPEG scan before its frame header", position);
                    }

                    position = DecodeScan(data, position + 2 + length, segment, frame, tables, restartInterval, samples, position);
                    break;
                case >= 0xC0 and <= 0xCF when marker is not (0xC4 or 0xC8 or 0xCC):
                    throw Bad($"JPEG process of SOF{marker - 0xC0} is not lossless Huffman (process 14)", position);
                default: // APPn, COM, DQT, DNL...: skipped
                    position += 2 + length;
                    break;
            }
        }

        if (frame is null || samples is null)
        {
            throw Bad("JPEG lossless frame has no frame header", 0);
        }

        var output = new byte[geometry.Length];
        var bytes = geometry.BytesPerSample;
        for (var i = 0; i < samples.Length; i++)
        {
            var value = samples[i];
            output[i * bytes] = (byte)value;
            if (bytes > 1)
            {
                output[i * bytes + 1] = (byte)(value >> 8);
            }
        }

        return output;
    }

    private sealed record Frame(int Precision, int Width, int Height, byte[] Components);

    private static Frame ReadFrame(ReadOnlySpan<byte> s, FrameGeometry geometry, int offset)
    {
        if (s.Length < 6)
        {
            throw Bad("JPEG SOF3 segment too short", offset);
        }

        int precision = s[0], height = BinaryPrimitives.ReadUInt16BigEndian(s[1..]), width = BinaryPrimitives.ReadUInt16BigEndian(s[3..]), count = s[5];
        if (s.Length < 6 + count * 3)
        {
            throw Bad("JPEG SOF3 segment too short", offset);
        }

        if (width != geometry.Columns || height != geometry.Rows || count != geometry.SamplesPerPixel || precision is < 2 or > 16 || precision > geometry.BitsAllocated)
        {
            throw Bad($"JPEG frame is {width}x{height}x{count} at {precision} bits where the data set says " +
                      $"{geometry.Columns}x{geometry.Rows}x{geometry.SamplesPerPixel} at {geometry.BitsAllocated}", offset);
        }

        var ids = new byte[count];
        for (var c = 0; c < count; c++)
        {
            ids[c] = s[6 + c * 3];
            if (s[7 + c * 3] != 0x11)
            {
                throw Bad("JPEG lossless components with sampling factors other than 1x1 are not decoded", offset);
            }
        }

        return new Frame(precision, width, height, ids);
    }

    private static void ReadTables(ReadOnlySpan<byte> s, HuffmanTable?[] tables, int offset)
    {
        var i = 0;
        while (i < s.Length)
        {
            if (i + 17 > s.Length)
            {
                throw Bad("JPEG DHT segment too short", offset);
            }

            var tc = s[i] >> 4;
            var th = s[i] & 0x0F;
            if (th > 3)
            {
                throw Bad("JPEG Huffman table id out of range", offset);
            }

            var counts = s.Slice(i + 1, 16);
            var total = 0;
            foreach (var n in counts)
            {
                total += n;
            }

            if (total > 256 || i + 17 + total > s.Length)
            {
                throw Bad("JPEG DHT segment too short", offset);
            }

            if (tc == 0)
            {
                tables[th] = new HuffmanTable(counts, s.Slice(i + 17, total));
            }

            i += 17 + total;
        }
    }

    /// <summary>One scan (T.81 H.1.2): returns the position after its entropy-coded data.</summary>
    private static int DecodeScan(ReadOnlySpan<byte> data, int start, ReadOnlySpan<byte> header, Frame frame, HuffmanTable?[] tables,
        int restartInterval, ushort[] samples, int offset)
    {
        if (header.Length < 1)
        {
            throw Bad("JPEG SOS segment too short", offset);
        }

        var count = header[0];
        if (count < 1 || header.Length < 1 + count * 2 + 3)
        {
            throw Bad("JPEG SOS segment too short", offset);
        }

        var components = new int[count];
        var scanTables = new HuffmanTable[count];
        for (var j = 0; j < count; j++)
        {
            var index = Array.IndexOf(frame.Components, header[1 + j * 2]);
            if (index < 0)
            {
                throw Bad("JPEG scan names a component the frame lacks", offset);
            }

            components[j] = index;
            scanTables[j] = tables[header[2 + j * 2] >> 4] ?? throw Bad("JPEG scan uses an undefined Huffman table", offset);
        }

        var predictor = header[1 + count * 2];
        var pointTransform = header[3 + count * 2] & 0x0F;
        if (predictor > 7 || pointTransform >= frame.Precision)
        {
            throw Bad("JPEG scan predictor or point transform out of range", offset);
        }

        int width = frame.Width, height = frame.Height, nf = frame.Components.Length;
        var initial = 1 << (frame.Precision - pointTransform - 1);
        var reader = new BitReader(data, start);
        var untilRestart = restartInterval;
        var restarted = true; // the first line of the scan is predicted like the line after a restart (H.1.2.1)
        var restartRow = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (restartInterval > 0 && untilRestart == 0)
                {
                    reader.Restart();
                    untilRestart = restartInterval;
                    restarted = true;
                    restartRow = y;
                }

                for (var j = 0; j < count; j++)
                {
                    var c = components[j];
                    var diff = reader.DecodeDifference(scanTables[j]);
                    int prediction;
                    var at = (y * width + x) * nf + c;
                    if (restarted && y == restartRow)
                    {
                        // First line after the start or a restart: 2^(P-Pt-1) for its first sample, Ra after it.
                        prediction = x == 0 || (y == restartRow && IsRestartStart(x, y, width, restartInterval, restartRow)) ? initial : samples[at - nf];
                    }
                    else if (x == 0)
                    {
                        prediction = samples[at - width * nf]; // Rb starts every other line
                    }
                    else
                    {
                        int ra = samples[at - nf], rb = samples[at - width * nf], rc = samples[at - width * nf - nf];
                        prediction = predictor switch
                        {
                            1 => ra,
                            2 => rb,
                            3 => rc,
                            4 => ra + rb - rc,
                            5 => ra + ((rb - rc) >> 1),
                            6 => rb + ((ra - rc) >> 1),
                            7 => (ra + rb) >> 1,
                            _ => 0,
                        };
                    }

                    // Modulo 2^16 (T.81 H.1.2.1).
                    samples[at] = (ushort)(prediction + diff);
                }

                if (restartInterval > 0)
                {
                    untilRestart--;
                }
            }

            if (restarted && y == restartRow)
            {
                restarted = false;
            }
        }

        if (pointTransform > 0)
        {
            for (var i = 0; i < samples.Length; i++)
            {
                samples[i] = (ushort)(samples[i] << pointTransform);
            }
        }

        return reader.End();
    }

    // A restart that falls inside a line starts its interval at x: that sample takes the initial prediction too.
    private static bool IsRestartStart(int x, int y, int width, int restartInterval, int restartRow) =>
        restartInterval > 0 && ((long)y * width + x) % restartInterval == 0 && y == restartRow;

    private static DicomFormatException Bad(string reason, long offset) => new(reason, offset, DicomTag.PixelData);

    /// <summary>A DC Huffman table as T.81 C.2 and F.2.2.3 build it: MAXCODE, VALPTR and MINCODE per code length.</summary>
    private sealed class HuffmanTable
    {
        private readonly int[] _maxCode = new int[18];
        private readonly int[] _valPtr = new int[17];
        private readonly int[] _minCode = new int[17];
        private readonly byte[] _values;

        public HuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
        {
            _values = values.ToArray();
            var code = 0;
            var k = 0;
            for (var l = 1; l <= 16; l++)
            {
                var n = counts[l - 1];
                if (n == 0)
                {
                    _maxCode[l] = -1;
                }
                else
                {
                    _valPtr[l] = k;
                    _minCode[l] = code;
                    code += n;
                    k += n;
                    _maxCode[l] = code - 1;
                }

                code <<= 1;
            }

            _maxCode[17] = int.MaxValue;
        }

        public int Decode(ref BitReader reader)
        {
            var code = reader.Bit();
            for (var l = 1; l <= 16; l++)
            {
                if (code <= _maxCode[l])
                {
                    var index = _valPtr[l] + code - _minCode[l];
                    return index < _values.Length ? _values[index] : throw Bad("JPEG Huffman code outside its table", reader.Position);
                }

                code = (code << 1) | reader.Bit();
            }

            throw Bad("JPEG Huffman code longer than 16 bits", reader.Position);
        }
    }

    /// <summary>Entropy-coded bits, most significant first, with FF00 stuffing removed (T.81 F.1.2.3).</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data, int start)
    {
        private const int MaxPaddingBytes = 4;
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position = start;
        private int _buffer;
        private int _bits;
        private int _padding;

        public readonly int Position => _position;

        public int Bit()
        {
            if (_bits == 0)
            {
                Fill();
            }

            _bits--;
            return (_buffer >> _bits) & 1;
        }

        private void Fill()
        {
            if (_position < _data.Length && !(_data[_position] == 0xFF && _position + 1 < _data.Length && _data[_position + 1] != 0x00))
            {
                _buffer = _data[_position];
                _position += _data[_position] == 0xFF ? 2 : 1;
            }
            else
            {
                // A marker or the end: zeros, as decoders do for a short scan, but only a few bytes' worth.
                if (++_padding > MaxPaddingBytes)
                {
                    throw Bad("JPEG entropy-coded data ends early", _position);
                }

                _buffer = 0;
            }

            _bits = 8;
        }

        /// <summary>A difference (T.81 H.1.2.2): category SSSS, then SSSS bits, EXTENDed (F.2.2.1); 16 means 32768.</summary>
        public int DecodeDifference(HuffmanTable table)
        {
            var ssss = table.Decode(ref this);
            if (ssss == 0)
            {
                return 0;
            }

            if (ssss == 16)
            {
                return 32768;
            }

            if (ssss > 16)
            {
                throw Bad("JPEG difference category above 16", _position);
            }

            var v = 0;
            for (var i = 0; i < ssss; i++)
            {
                v = (v << 1) | Bit();
            }

            return v < 1 << (ssss - 1) ? v - (1 << ssss) + 1 : v;
        }

        /// <summary>Byte-aligns and reads an RSTn marker (T.81 F.2.2.5 applied to H).</summary>
        public void Restart()
        {
            _bits = 0;
            while (_position + 1 < _data.Length && _data[_position] == 0xFF && _data[_position + 1] == 0xFF)
            {
                _position++;
            }

            if (_position + 1 < _data.Length && _data[_position] == 0xFF && _data[_position + 1] is >= 0xD0 and <= 0xD7)
            {
                _position += 2;
            }
            else
            {
                throw Bad("JPEG restart marker expected", _position);
            }

            _padding = 0;
        }

        /// <summary>Where the scan's data ends: the next marker.</summary>
        public readonly int End()
        {
            var p = _position;
            while (p + 1 < _data.Length && !(_data[p] == 0xFF && _data[p + 1] != 0x00 && _data[p + 1] != 0xFF && _data[p + 1] is < 0xD0 or > 0xD7))
            {
                p++;
            }

            return Math.Min(p, _data.Length);
        }
    }
}
