using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Pacs.Grains;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// Where a metadata request spent its time in this gateway, sent as a Server-Timing header (W3C Server Timing) so that
/// a benchmark or a browser's developer tools see the gateway's share: the study grain call (a build from the index
/// when the series is cold), the rendering of BulkDataURIs, the gzip, and the total up to the first body byte.
/// </summary>
internal sealed class MetadataTiming
{
    private readonly long _started = Stopwatch.GetTimestamp();

    public TimeSpan Grain { get; set; }

    public TimeSpan? Render { get; set; }

    public TimeSpan? Gzip { get; set; }

    public void WriteTo(HttpResponse response)
    {
        var total = Stopwatch.GetElapsedTime(_started);
        var text = new StringBuilder(96);
        Append(text, "grain", Grain);
        if (Render is { } render)
        {
            Append(text, "render", render);
        }

        if (Gzip is { } gzip)
        {
            Append(text, "gzip", gzip);
        }

        Append(text, "total", total);
        response.Headers["Server-Timing"] = text.ToString();
    }

    private static void Append(StringBuilder text, string name, TimeSpan duration)
    {
        if (text.Length > 0)
        {
            text.Append(", ");
        }

        text.Append(name).Append(";dur=").Append(duration.TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture));
    }
}
