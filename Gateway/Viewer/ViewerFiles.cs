using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.StaticFiles;

namespace Pacs.Gateway.Viewer;

/// <summary>
/// The OHIF dist/ folder on disk: where it is, which request path maps to which file (never outside the folder), the
/// media type of each file and how long a browser may keep it.
/// </summary>
internal sealed partial class ViewerFiles
{
    /// <summary>Build-time location of the dist/ that ./pacs installs, stamped into the assembly by Gateway.csproj.</summary>
    private const string BuildTreeMetadataKey = "PacsViewerBuildTreeRoot";

    public const string ImmutableCaching = "public, max-age=31536000, immutable";
    public const string RevalidateCaching = "no-cache";
    public const string NoStore = "no-store";

    private readonly FileExtensionContentTypeProvider _types = CreateTypes();

    public ViewerFiles(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public bool Installed => File.Exists(Path.Combine(Root, "index.html"));

    public string IndexPath => Path.Combine(Root, "index.html");

    /// <summary>The configured folder, else "viewer" beside the assembly (publish output), else the build tree's.</summary>
    public static string ResolveRoot(ViewerOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Root))
        {
            return options.Root;
        }

        var published = Path.Combine(AppContext.BaseDirectory, "viewer");
        if (File.Exists(Path.Combine(published, "index.html")))
        {
            return published;
        }

        var buildTree = typeof(ViewerFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == BuildTreeMetadataKey)?.Value;
        return string.IsNullOrEmpty(buildTree) ? published : buildTree;
    }

    /// <summary>
    /// The file a URL path names, or null when it names none (then the caller falls back to index.html). Segments
    /// that could climb out of the root ("..", rooted, backslashes) never name a file.
    /// </summary>
    public string? TryMap(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        var relative = path.TrimStart('/');
        if (relative.Length == 0 || relative.Contains('\\') || relative.Contains('\0'))
        {
            return null;
        }

        foreach (var segment in relative.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return null;
            }
        }

        var full = Path.GetFullPath(Path.Combine(Root, relative));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return null;
        }

        return File.Exists(full) ? full : null;
    }

    public string ContentTypeOf(string file) =>
        _types.TryGetContentType(file, out var type) ? type : "application/octet-stream";

    /// <summary>
    /// Chunks whose names carry a content hash (app.bundle.0f6159c501addfe9.js, 5130ccb17e3f3f5b.wasm) never change
    /// under the same name: cached for a year. Everything else is revalidated (ETag / Last-Modified) on each use.
    /// </summary>
    public static string CachingOf(string file) =>
        HashedName().IsMatch(Path.GetFileName(file)) ? ImmutableCaching : RevalidateCaching;

    [GeneratedRegex(@"(^|[.\-_])[0-9a-f]{16,}\.[A-Za-z0-9]+$")]
    private static partial Regex HashedName();

    private static FileExtensionContentTypeProvider CreateTypes()
    {
        var provider = new FileExtensionContentTypeProvider();
        // The browser compiles WebAssembly streamingly only when it is served as application/wasm.
        provider.Mappings[".wasm"] = "application/wasm";
        provider.Mappings[".mjs"] = "text/javascript";
        provider.Mappings[".js"] = "text/javascript";
        provider.Mappings[".map"] = "application/json";
        provider.Mappings[".onnx"] = "application/octet-stream";
        provider.Mappings[".webmanifest"] = "application/manifest+json";
        return provider;
    }
}
