namespace Pacs.Gateway.DicomWeb.Rendering;

/// <summary>
/// Fits an image into a viewport keeping its aspect ratio (PS3.18 8.3.5.1.3): area averaging when shrinking (every
/// source pixel counts, so thin structures do not vanish), bilinear interpolation when enlarging.
/// </summary>
internal static class ImageScaler
{
    /// <summary>The largest size with the image's aspect ratio that fits in width × height (0 = unconstrained).</summary>
    public static (int Width, int Height) Fit(int sourceWidth, int sourceHeight, int viewportWidth, int viewportHeight)
    {
        if (viewportWidth <= 0 && viewportHeight <= 0)
        {
            return (sourceWidth, sourceHeight);
        }

        var scaleX = viewportWidth > 0 ? (double)viewportWidth / sourceWidth : double.MaxValue;
        var scaleY = viewportHeight > 0 ? (double)viewportHeight / sourceHeight : double.MaxValue;
        var scale = Math.Min(scaleX, scaleY);
        return (Math.Max(1, (int)Math.Round(sourceWidth * scale)), Math.Max(1, (int)Math.Round(sourceHeight * scale)));
    }

    public static RenderedImage Resize(RenderedImage source, int width, int height)
    {
        if (width == source.Width && height == source.Height)
        {
            return source;
        }

        return width <= source.Width && height <= source.Height ? AreaAverage(source, width, height) : Bilinear(source, width, height);
    }

    private static RenderedImage AreaAverage(RenderedImage source, int width, int height)
    {
        var channels = source.Channels;
        var output = new byte[width * height * channels];
        var sx = (double)source.Width / width;
        var sy = (double)source.Height / height;
        var src = source.Pixels;
        Span<double> sum = stackalloc double[3];
        for (var y = 0; y < height; y++)
        {
            var y0 = y * sy;
            var y1 = y0 + sy;
            for (var x = 0; x < width; x++)
            {
                var x0 = x * sx;
                var x1 = x0 + sx;
                sum.Clear();
                var area = 0.0;
                // Every source pixel the destination pixel covers, weighted by the covered fraction.
                for (var py = (int)y0; py < Math.Min(source.Height, (int)Math.Ceiling(y1)); py++)
                {
                    var wy = Math.Min(y1, py + 1) - Math.Max(y0, py);
                    if (wy <= 0)
                    {
                        continue;
                    }

                    for (var px = (int)x0; px < Math.Min(source.Width, (int)Math.Ceiling(x1)); px++)
                    {
                        var wx = Math.Min(x1, px + 1) - Math.Max(x0, px);
                        if (wx <= 0)
                        {
                            continue;
                        }

                        var weight = wx * wy;
                        var p = (py * source.Width + px) * channels;
                        for (var c = 0; c < channels; c++)
                        {
                            sum[c] += src[p + c] * weight;
                        }

                        area += weight;
                    }
                }

                var o = (y * width + x) * channels;
                for (var c = 0; c < channels; c++)
                {
                    output[o + c] = (byte)Math.Clamp((int)Math.Round(sum[c] / area), 0, 255);
                }
            }
        }

        return new RenderedImage(width, height, channels, output);
    }

    private static RenderedImage Bilinear(RenderedImage source, int width, int height)
    {
        var channels = source.Channels;
        var output = new byte[width * height * channels];
        var src = source.Pixels;
        for (var y = 0; y < height; y++)
        {
            // Pixel centres aligned (the corners map to the corners' centres).
            var fy = Math.Clamp((y + 0.5) * source.Height / height - 0.5, 0, source.Height - 1);
            var y0 = (int)fy;
            var y1 = Math.Min(y0 + 1, source.Height - 1);
            var ty = fy - y0;
            for (var x = 0; x < width; x++)
            {
                var fx = Math.Clamp((x + 0.5) * source.Width / width - 0.5, 0, source.Width - 1);
                var x0 = (int)fx;
                var x1 = Math.Min(x0 + 1, source.Width - 1);
                var tx = fx - x0;
                var o = (y * width + x) * channels;
                for (var c = 0; c < channels; c++)
                {
                    double a = src[(y0 * source.Width + x0) * channels + c], b = src[(y0 * source.Width + x1) * channels + c];
                    double d = src[(y1 * source.Width + x0) * channels + c], e = src[(y1 * source.Width + x1) * channels + c];
                    var top = a + (b - a) * tx;
                    var bottom = d + (e - d) * tx;
                    output[o + c] = (byte)Math.Clamp((int)Math.Round(top + (bottom - top) * ty), 0, 255);
                }
            }
        }

        return new RenderedImage(width, height, channels, output);
    }
}
