using System.Runtime.InteropServices;

namespace Pacs.Dicom.Codecs;

/// <summary>
/// JPEG 2000 (PS3.5 A.4.4: lossless and lossy, Part 2 multi-component) and High-Throughput JPEG 2000 (PS3.5 A.4.11,
/// ISO/IEC 15444-15; OpenJPEG decodes it from 2.5.0) through Debian's libopenjp2-7, reading from memory. The main
/// header is read and checked against the data set before the tiles are decoded. A multi-component transform
/// (YBR_RCT, YBR_ICT) is undone by OpenJPEG, so colour comes out as RGB.
/// </summary>
internal sealed class Jpeg2000Decoder : IFrameDecoder
{
    internal const string Library = "libopenjp2.so.7";
    private const int CodecJ2K = 0; // OPJ_CODEC_J2K: a raw codestream, what DICOM carries (PS3.5 A.4.4)
    private const int CodecJP2 = 2; // OPJ_CODEC_JP2: a JP2 file, which some writers put in the fragments instead
    private const int DecoderParametersSize = 64 * 1024; // opj_dparameters_t is about 8.5 KiB; room to spare

    // opj_image_t and opj_image_comp_t (openjpeg.h, 2.x; stable across 2.3 to 2.5), 64-bit layout.
    private const int ImageNumComps = 16;
    private const int ImageComps = 24;
    private const int CompSize = 64;
    private const int CompDx = 0, CompDy = 4, CompW = 8, CompH = 12, CompPrec = 24, CompData = 48;

    private static readonly ReadFn Read = OnRead;
    private static readonly SkipFn Skip = OnSkip;
    private static readonly SeekFn Seek = OnSeek;

    public byte[] Decode(ReadOnlyMemory<byte> encoded, FrameGeometry geometry)
    {
        var source = new MemorySource(encoded);
        var span = encoded.Span;
        var format = span.Length >= 8 && span[0] == 0 && span[1] == 0 && span[2] == 0 && span[3] == 0x0C && span[4] == (byte)'j' && span[5] == (byte)'P'
            ? CodecJP2 : CodecJ2K;
        IntPtr codec;
        try
        {
            codec = NativeMethods.opj_create_decompress(format);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new CodecUnavailableException(Library, e);
        }

        if (codec == IntPtr.Zero)
        {
            throw new CodecUnavailableException(Library);
        }

        var handle = GCHandle.Alloc(source);
        var parameters = Marshal.AllocHGlobal(DecoderParametersSize);
        IntPtr stream = IntPtr.Zero, image = IntPtr.Zero;
        try
        {
            NativeMethods.opj_set_default_decoder_parameters(parameters);
            if (NativeMethods.opj_setup_decoder(codec, parameters) == 0)
            {
                throw Bad("JPEG 2000 decoder setup failed");
            }

            stream = NativeMethods.opj_stream_create(64 * 1024, 1);
            if (stream == IntPtr.Zero)
            {
                throw Bad("JPEG 2000 stream could not be created");
            }

            NativeMethods.opj_stream_set_read_function(stream, Marshal.GetFunctionPointerForDelegate(Read));
            NativeMethods.opj_stream_set_skip_function(stream, Marshal.GetFunctionPointerForDelegate(Skip));
            NativeMethods.opj_stream_set_seek_function(stream, Marshal.GetFunctionPointerForDelegate(Seek));
            NativeMethods.opj_stream_set_user_data(stream, GCHandle.ToIntPtr(handle), IntPtr.Zero);
            NativeMethods.opj_stream_set_user_data_length(stream, (ulong)encoded.Length);

            if (NativeMethods.opj_read_header(stream, codec, out image) == 0 || image == IntPtr.Zero)
            {
                throw Bad("JPEG 2000 main header is not valid");
            }

            CheckHeader(image, geometry);
            if (NativeMethods.opj_decode(codec, stream, image) == 0)
            {
                throw Bad("JPEG 2000 codestream could not be decoded");
            }

            NativeMethods.opj_end_decompress(codec, stream);
            return Copy(image, geometry);
        }
        finally
        {
            if (image != IntPtr.Zero)
            {
                NativeMethods.opj_image_destroy(image);
            }

            if (stream != IntPtr.Zero)
            {
                NativeMethods.opj_stream_destroy(stream);
            }

            NativeMethods.opj_destroy_codec(codec);
            Marshal.FreeHGlobal(parameters);
            handle.Free();
        }
    }

    /// <summary>Image size, components and precision from the SIZ marker must be those of the data set (the output bound).</summary>
    private static void CheckHeader(IntPtr image, FrameGeometry geometry)
    {
        var x0 = (uint)Marshal.ReadInt32(image, 0);
        var y0 = (uint)Marshal.ReadInt32(image, 4);
        var x1 = (uint)Marshal.ReadInt32(image, 8);
        var y1 = (uint)Marshal.ReadInt32(image, 12);
        var components = Marshal.ReadInt32(image, ImageNumComps);
        if (x1 - x0 != geometry.Columns || y1 - y0 != geometry.Rows || components != geometry.SamplesPerPixel)
        {
            throw Bad($"JPEG 2000 image is {x1 - x0}x{y1 - y0}x{components} where the data set says {geometry.Columns}x{geometry.Rows}x{geometry.SamplesPerPixel}");
        }

        var comps = Marshal.ReadIntPtr(image, ImageComps);
        for (var c = 0; c < components; c++)
        {
            var comp = comps + c * CompSize;
            var precision = Marshal.ReadInt32(comp, CompPrec);
            if (Marshal.ReadInt32(comp, CompDx) != 1 || Marshal.ReadInt32(comp, CompDy) != 1)
            {
                throw Bad("JPEG 2000 subsampled components are not decoded");
            }

            if (precision is < 1 or > 16 || precision > geometry.BitsAllocated)
            {
                throw Bad($"JPEG 2000 component precision {precision} exceeds Bits Allocated {geometry.BitsAllocated}");
            }
        }
    }

    /// <summary>OpenJPEG's planes of 32-bit values into little-endian interleaved samples of Bits Allocated.</summary>
    private static byte[] Copy(IntPtr image, FrameGeometry geometry)
    {
        var pixels = geometry.Rows * geometry.Columns;
        var samples = geometry.SamplesPerPixel;
        var bytes = geometry.BytesPerSample;
        var output = new byte[geometry.Length];
        var plane = new int[pixels];
        var comps = Marshal.ReadIntPtr(image, ImageComps);
        for (var c = 0; c < samples; c++)
        {
            var comp = comps + c * CompSize;
            if (Marshal.ReadInt32(comp, CompW) != geometry.Columns || Marshal.ReadInt32(comp, CompH) != geometry.Rows)
            {
                throw Bad("JPEG 2000 component decoded at another size (reduced resolution)");
            }

            var data = Marshal.ReadIntPtr(comp, CompData);
            if (data == IntPtr.Zero)
            {
                throw Bad("JPEG 2000 component has no data");
            }

            Marshal.Copy(data, plane, 0, pixels);
            for (var p = 0; p < pixels; p++)
            {
                var v = plane[p];
                var at = (p * samples + c) * bytes;
                output[at] = (byte)v;
                if (bytes > 1)
                {
                    output[at + 1] = (byte)(v >> 8);
                }

                if (bytes > 2)
                {
                    output[at + 2] = (byte)(v >> 16);
                    output[at + 3] = (byte)(v >> 24);
                }
            }
        }

        return output;
    }

    private static DicomFormatException Bad(string reason) => new(reason, 0, DicomTag.PixelData);

    /// <summary>The encoded frame OpenJPEG reads through the callbacks below.</summary>
    private sealed class MemorySource(ReadOnlyMemory<byte> data)
    {
        public ReadOnlyMemory<byte> Data { get; } = data;
        public long Position { get; set; }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nuint ReadFn(IntPtr buffer, nuint count, IntPtr user);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate long SkipFn(long count, IntPtr user);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SeekFn(long position, IntPtr user);

    private static MemorySource SourceOf(IntPtr user) => (MemorySource)GCHandle.FromIntPtr(user).Target!;

    private static nuint OnRead(IntPtr buffer, nuint count, IntPtr user)
    {
        var source = SourceOf(user);
        var left = source.Data.Length - source.Position;
        if (left <= 0)
        {
            return unchecked((nuint)(-1)); // end of stream, as OpenJPEG's own readers say it
        }

        var n = (int)Math.Min((long)Math.Min(count, int.MaxValue), left);
        var chunk = source.Data.Slice((int)source.Position, n);
        if (MemoryMarshal.TryGetArray(chunk, out var segment))
        {
            Marshal.Copy(segment.Array!, segment.Offset, buffer, n);
        }
        else
        {
            Marshal.Copy(chunk.ToArray(), 0, buffer, n);
        }

        source.Position += n;
        return (nuint)n;
    }

    private static long OnSkip(long count, IntPtr user)
    {
        var source = SourceOf(user);
        var target = Math.Clamp(source.Position + count, 0, source.Data.Length);
        var skipped = target - source.Position;
        source.Position = target;
        return skipped == 0 && count != 0 ? -1 : skipped;
    }

    private static int OnSeek(long position, IntPtr user)
    {
        var source = SourceOf(user);
        if (position < 0 || position > source.Data.Length)
        {
            return 0;
        }

        source.Position = position;
        return 1;
    }

    private static class NativeMethods
    {
        [DllImport(Library)]
        public static extern IntPtr opj_create_decompress(int format);

        [DllImport(Library)]
        public static extern void opj_destroy_codec(IntPtr codec);

        [DllImport(Library)]
        public static extern void opj_set_default_decoder_parameters(IntPtr parameters);

        [DllImport(Library)]
        public static extern int opj_setup_decoder(IntPtr codec, IntPtr parameters);

        [DllImport(Library)]
        public static extern IntPtr opj_stream_create(nuint bufferSize, int isInput);

        [DllImport(Library)]
        public static extern void opj_stream_destroy(IntPtr stream);

        [DllImport(Library)]
        public static extern void opj_stream_set_read_function(IntPtr stream, IntPtr function);

        [DllImport(Library)]
        public static extern void opj_stream_set_skip_function(IntPtr stream, IntPtr function);

        [DllImport(Library)]
        public static extern void opj_stream_set_seek_function(IntPtr stream, IntPtr function);

        [DllImport(Library)]
        public static extern void opj_stream_set_user_data(IntPtr stream, IntPtr data, IntPtr freeFunction);

        [DllImport(Library)]
        public static extern void opj_stream_set_user_data_length(IntPtr stream, ulong length);

        [DllImport(Library)]
        public static extern int opj_read_header(IntPtr stream, IntPtr codec, out IntPtr image);

        [DllImport(Library)]
        public static extern int opj_decode(IntPtr codec, IntPtr stream, IntPtr image);

        [DllImport(Library)]
        public static extern int opj_end_decompress(IntPtr codec, IntPtr stream);

        [DllImport(Library)]
        public static extern void opj_image_destroy(IntPtr image);
    }
}
