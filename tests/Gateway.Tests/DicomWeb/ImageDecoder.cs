using System.Diagnostics;
using System.Globalization;

namespace Pacs.Gateway.Tests.DicomWeb;

/// <summary>
/// Decodes PNG and JPEG with an independent decoder (Debian's python3-pil, run as a process) so that our encoders are
/// checked against someone else's reading of the standards.
/// </summary>
internal static class ImageDecoder
{
    private const string Script = """
        import sys
        from PIL import Image
        im = Image.open(sys.argv[1])
        im.load()
        sys.stdout.write("%s %s %d %d\n" % (im.format, im.mode, im.size[0], im.size[1]))
        open(sys.argv[2], "wb").write(im.tobytes())
        """;

    public sealed record Decoded(string Format, string Mode, int Width, int Height, byte[] Pixels);

    public static async Task<Decoded> DecodeAsync(byte[] encoded)
    {
        var input = Path.GetTempFileName();
        var output = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(input, encoded);
            var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(Script);
            psi.ArgumentList.Add(input);
            psi.ArgumentList.Add(output);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await p.WaitForExitAsync(cts.Token);
            Assert.True(p.ExitCode == 0, "PIL could not decode: " + await stderr);
            var fields = (await stdout).Trim().Split(' ');
            return new Decoded(fields[0], fields[1], int.Parse(fields[2], CultureInfo.InvariantCulture), int.Parse(fields[3], CultureInfo.InvariantCulture),
                await File.ReadAllBytesAsync(output));
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    public static double Psnr(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            sum += d * d;
        }

        var mse = sum / a.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>Pearson correlation of two equally long sample series.</summary>
    public static double Correlation(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Assert.Equal(x.Count, y.Count);
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxy / Math.Sqrt(sxx * syy);
    }
}
