namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>
/// An 8-bit image ready for a consumer format: one channel (grayscale) or three (R, G, B interleaved), rows top to
/// bottom without padding.
/// </summary>
internal sealed class RenderedImage
{
    public RenderedImage(int width, int height, int channels, byte[] pixels)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), "Empty image.");
        }

        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), "1 or 3 channels.");
        }

        if (pixels.Length != (long)width * height * channels)
        {
            throw new ArgumentException("Pixel buffer size does not match.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public byte[] Pixels { get; }
}
