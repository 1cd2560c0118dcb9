namespace Pacs.Dicom.Codecs;

/// <summary>
/// Decodes one frame of encapsulated Pixel Data (the bytes of its fragments, PS3.5 A.4) into native pixels: little
/// endian, Bits Allocated per sample, colour by pixel (Planar Configuration 0), exactly
/// <see cref="FrameGeometry.Length"/> bytes. A codestream that does not match <paramref name="geometry"/> or is cut
/// short throws <see cref="DicomFormatException"/>; a codec library that cannot be loaded throws
/// <see cref="CodecUnavailableException"/>.
/// </summary>
public interface IFrameDecoder
{
    byte[] Decode(ReadOnlyMemory<byte> encoded, FrameGeometry geometry);
}
