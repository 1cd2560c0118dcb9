using System.Globalization;
using System.Text;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// Writes a multipart/related body (RFC 2387, RFC 2046 5.1.1) part by part to a stream, so that parts of any size are
/// streamed. Each part header is spelled <c>Content-Type: &lt;media type&gt;; transfer-syntax=&lt;uid&gt;</c>
/// (PS3.18 8.7.3.3.2), which is what viewers' parsers match on. The CRLF before each delimiter belongs to the
/// delimiter (RFC 2046), so a part's content is exactly its bytes.
/// </summary>
public sealed class MultipartRelatedWriter(Stream output, string boundary)
{
    private bool _started;

    public string Boundary { get; } = boundary;

    public static string NewBoundary() => "pacs-" + Guid.NewGuid().ToString("N");

    /// <summary>The response Content-Type: <c>multipart/related; type="..."; boundary=...</c>.</summary>
    public static string ContentType(string boundary, string type, string? transferSyntaxUid = null) =>
        transferSyntaxUid is null
            ? $"multipart/related; type=\"{type}\"; boundary={boundary}"
            : $"multipart/related; type=\"{type}\"; transfer-syntax={transferSyntaxUid}; boundary={boundary}";

    /// <summary>The header line of a part for <paramref name="mediaType"/> (and transfer syntax, when there is one).</summary>
    public static string PartContentType(string mediaType, string? transferSyntaxUid) =>
        transferSyntaxUid is null ? mediaType : $"{mediaType}; transfer-syntax={transferSyntaxUid}";

    /// <summary>Starts a part: delimiter and headers. The caller then writes the content to the stream.</summary>
    public ValueTask BeginPartAsync(string mediaType, string? transferSyntaxUid, long? length = null, string? contentLocation = null,
        CancellationToken cancellationToken = default)
    {
        var sb = new StringBuilder(160);
        if (_started)
        {
            sb.Append("\r\n");
        }

        _started = true;
        sb.Append("--").Append(Boundary).Append("\r\n");
        sb.Append("Content-Type: ").Append(PartContentType(mediaType, transferSyntaxUid)).Append("\r\n");
        if (length is { } n)
        {
            sb.Append("Content-Length: ").Append(n.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }

        if (contentLocation is not null)
        {
            sb.Append("Content-Location: ").Append(contentLocation).Append("\r\n");
        }

        sb.Append("\r\n");
        return output.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()), cancellationToken);
    }

    public async ValueTask WritePartAsync(string mediaType, string? transferSyntaxUid, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        await BeginPartAsync(mediaType, transferSyntaxUid, content.Length, cancellationToken: cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(content, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The close delimiter. A body without parts still gets one delimiter-less close, which parsers accept.</summary>
    public ValueTask CompleteAsync(CancellationToken cancellationToken = default) =>
        output.WriteAsync(Encoding.ASCII.GetBytes((_started ? "\r\n" : "") + "--" + Boundary + "--\r\n"), cancellationToken);
}
