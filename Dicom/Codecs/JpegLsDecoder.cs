using System.Runtime.InteropServices;

namespace Pacs.Dicom.Codecs;

/// <summary>
/// JPEG-LS lossless and near-lossless (PS3.5 A.4.3, ISO/IEC 14495-1) through CharLS 2 (Debian's libcharls2), by its C
/// API. The header is read and checked against the data set before any output is allocated.
/// </summary>
internal sealed class JpegLsDecoder : IFrameDecoder
{
    internal const string Library = "libcharls.so.2";

    [StructLayout(LayoutKind.Sequential)]
    private struct FrameInfo
    {
        public uint Width;
        public uint Height;
        public int BitsPerSample;
        public int ComponentCount;
    }

    public byte[] Decode(ReadOnlyMemory<byte> encoded, FrameGeometry geometry)
    {
        // A codestream cut short ends without EOI (T.87 C.1.1; a fragment may add one byte of padding, PS3.5 A.4). CharLS
        // 2.4 spends tens of seconds on some truncated scans before it fails, so those are refused here.
        var end = encoded.Span.TrimEnd((byte)0);
        if (end.Length < 4 || end[^2] != 0xFF || end[^1] != 0xD9)
        {
            throw Bad("JPEG-LS codestream does not end with EOI (truncated)");
        }

        var source = encoded.ToArray();
        IntPtr decoder;
        try
        {
            decoder = NativeMethods.charls_jpegls_decoder_create();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new CodecUnavailableException(Library, e);
        }

        if (decoder == IntPtr.Zero)
        {
            throw new CodecUnavailableException(Library);
        }

        var pin = GCHandle.Alloc(source, GCHandleType.Pinned);
        try
        {
            Check(NativeMethods.charls_jpegls_decoder_set_source_buffer(decoder, pin.AddrOfPinnedObject(), (nuint)source.Length), "source");
            Check(NativeMethods.charls_jpegls_decoder_read_header(decoder), "header");
            Check(NativeMethods.charls_jpegls_decoder_get_frame_info(decoder, out var info), "frame info");
            Check(NativeMethods.charls_jpegls_decoder_get_interleave_mode(decoder, out var interleave), "interleave mode");
            if (info.Width != geometry.Columns || info.Height != geometry.Rows || info.ComponentCount != geometry.SamplesPerPixel
                || info.BitsPerSample is < 2 or > 16 || info.BitsPerSample > geometry.BitsAllocated)
            {
                throw Bad($"JPEG-LS frame is {info.Width}x{info.Height}x{info.ComponentCount} at {info.BitsPerSample} bits where the data set says " +
                          $"{geometry.Columns}x{geometry.Rows}x{geometry.SamplesPerPixel} at {geometry.BitsAllocated}");
            }

            // CharLS writes 1 byte per sample up to 8 bits, else 2 (its default stride); planar when not interleaved.
            var charlsBytes = info.BitsPerSample <= 8 ? 1 : 2;
            var size = (long)info.Width * info.Height * info.ComponentCount * charlsBytes;
            Check(NativeMethods.charls_jpegls_decoder_get_destination_size(decoder, 0, out var needed), "destination size");
            if ((long)needed != size)
            {
                throw Bad($"JPEG-LS destination of {needed} bytes where {size} are expected");
            }

            var decoded = new byte[size];
            Check(NativeMethods.charls_jpegls_decoder_decode_to_buffer(decoder, decoded, (nuint)decoded.Length, 0), "decode");
            return Interleave(decoded, geometry, charlsBytes, planar: interleave == 0 && info.ComponentCount > 1);
        }
        finally
        {
            pin.Free();
            NativeMethods.charls_jpegls_decoder_destroy(decoder);
        }
    }

    /// <summary>CharLS' samples into the frame layout: widened to Bits Allocated, planes interleaved.</summary>
    private static byte[] Interleave(byte[] decoded, FrameGeometry geometry, int charlsBytes, bool planar)
    {
        var outBytes = geometry.BytesPerSample;
        if (outBytes == charlsBytes && !planar)
        {
            return decoded;
        }

        var output = new byte[geometry.Length];
        var pixels = geometry.Rows * geometry.Columns;
        var samples = geometry.SamplesPerPixel;
        for (var p = 0; p < pixels; p++)
        {
            for (var s = 0; s < samples; s++)
            {
                var from = (planar ? s * pixels + p : p * samples + s) * charlsBytes;
                var to = (p * samples + s) * outBytes;
                output[to] = decoded[from];
                if (charlsBytes == 2)
                {
                    output[to + 1] = decoded[from + 1];
                }
            }
        }

        return output;
    }

    private static void Check(int error, string step)
    {
        if (error != 0)
        {
            throw Bad($"JPEG-LS {step} failed (CharLS error {error})");
        }
    }

    private static DicomFormatException Bad(string reason) => new(reason, 0, DicomTag.PixelData);

    private static class NativeMethods
    {
        [DllImport(Library)]
        public static extern IntPtr charls_jpegls_decoder_create();

        [DllImport(Library)]
        public static extern void charls_jpegls_decoder_destroy(IntPtr decoder);

        [DllImport(Library)]
        public static extern int charls_jpegls_decoder_set_source_buffer(IntPtr decoder, IntPtr source, nuint size);

        [DllImport(Library)]
        public static extern int charls_jpegls_decoder_read_header(IntPtr decoder);

        [DllImport(Library)]
        public static extern int charls_jpegls_decoder_get_frame_info(IntPtr decoder, out FrameInfo frameInfo);

        [DllImport(Library)]
        public static extern int charls_jpegls_decoder_get_interleave_mode(IntPtr decoder, out int interleaveMode);

        [DllImport(Library)]
        public static extern int charls_jpegls_decoder_get_destination_size(IntPtr decoder, uint stride, out nuint size);

        [DllImport(Library)]
        public static extern int charls_jpegls_decoder_decode_to_buffer(IntPtr decoder, byte[] destination, nuint size, uint stride);
    }
}
