using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Pacs.Gateway.Viewer;

/// <summary>
/// The Content-Security-Policy of the viewer's documents, as tight as OHIF 3.13 runs under: scripts only from us
/// plus the two inline scripts of its index.html, allowed by their SHA-256 (read from the installed file, so a
/// reinstall cannot silently break or widen it); WebAssembly compilation ('wasm-unsafe-eval', for its image
/// decoders) but no JavaScript eval; workers from us and from blob: URLs (its decoder and compute workers); images,
/// media and fetches from us, data: and blob:; inline styles (React and its UI kit set them); no plugins; no framing
/// by other origins (frame-ancestors 'self', with X-Frame-Options for older browsers).
/// </summary>
internal sealed partial class ViewerContentSecurityPolicy
{
    public ViewerContentSecurityPolicy(ViewerFiles files)
    {
        var hashes = files.Installed ? InlineScriptHashes(File.ReadAllText(files.IndexPath)) : [];
        Value = string.Join("; ",
            "default-src 'self'",
            $"script-src 'self' 'wasm-unsafe-eval'{string.Concat(hashes.Select(h => $" '{h}'"))}",
            "worker-src 'self' blob:",
            "child-src 'self' blob:",
            "connect-src 'self' data: blob:",
            "img-src 'self' data: blob:",
            "media-src 'self' data: blob:",
            "font-src 'self' data:",
            "style-src 'self' 'unsafe-inline'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'");
    }

    public string Value { get; }

    /// <summary>'sha256-…' of each inline script element's text (CSP 3, "hash-source": the exact bytes, UTF-8).</summary>
    public static IReadOnlyList<string> InlineScriptHashes(string html) =>
        [.. InlineScript().Matches(html).Select(m => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups["body"].Value))))];

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>(?<body>.*?)</script>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}
