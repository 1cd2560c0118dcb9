using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Pacs.Gateway.Auth;

namespace Pacs.Gateway.Viewer;

/// <summary>
/// Serves the OHIF viewer at / from the same origin as the DICOMweb API: the generated app-config.js, the files of
/// dist/, and index.html for every other GET that is not an API path (OHIF routes with the History API:
/// /viewer?StudyInstanceUIDs=…, /segmentation, …). A catch-all route, so every API route takes precedence.
/// </summary>
internal static partial class ViewerEndpoints
{
    public static IServiceCollection AddViewer(this IServiceCollection services)
    {
        services.AddOptions<ViewerOptions>().BindConfiguration(ViewerOptions.Section)
            .Validate(o => AppConfigScript.LogoProblem(o.LogoPath) is null,
                $"Pacs:Viewer:LogoPath must name an existing .png, .jpg, .gif or .svg file of at most {ViewerOptions.MaximumLogoBytes} bytes.")
            .ValidateOnStart();
        services.AddSingleton(sp => new ViewerFiles(ViewerFiles.ResolveRoot(sp.GetRequiredService<IOptions<ViewerOptions>>().Value)));
        services.AddSingleton<ViewerContentSecurityPolicy>();
        services.AddSingleton(sp => new GeneratedAppConfig(AppConfigScript.Build(sp.GetRequiredService<IOptions<ViewerOptions>>().Value)));
        return services;
    }

    public static IEndpointRouteBuilder MapViewer(this IEndpointRouteBuilder app)
    {
        var files = app.ServiceProvider.GetRequiredService<ViewerFiles>();
        if (!files.Installed)
        {
            LogNotInstalled(app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ViewerEndpoints).FullName!), files.Root);
        }

        app.MapMethods("/app-config.js", [HttpMethods.Get, HttpMethods.Head], AppConfig)
            .RequireAuthorization(Policies.Read);
        // Order: a catch-all has the lowest precedence, so any API route (/dicom-web/…, /api/…) wins over it.
        // Anonymous at the routing level because an unknown API-looking path must answer 404 before any login; the
        // handler itself then requires the Read policy (docs/security.md) and sends a browser without a session to /login.
        app.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Head], ViewerFileAsync)
            .AllowAnonymous();
        return app;
    }

    private static IResult AppConfig(HttpContext http, GeneratedAppConfig config)
    {
        SetIsolationHeaders(http.Response);
        http.Response.Headers.CacheControl = ViewerFiles.NoStore;
        return Results.Text(config.Script + SessionScript.Text, "text/javascript; charset=utf-8");
    }

    private static async Task<IResult> ViewerFileAsync(HttpContext http, ViewerFiles files, IAuthorizationService authorization, ViewerContentSecurityPolicy policy, string? path)
    {
        var requestPath = http.Request.Path.Value ?? "/";
        if (ApiPaths.IsApiPath(http.Request.Path))
        {
            return Results.Problem(title: "not found", detail: $"No resource at {requestPath}.", statusCode: StatusCodes.Status404NotFound);
        }

        if (!(await authorization.AuthorizeAsync(http.User, Policies.Read).ConfigureAwait(false)).Succeeded)
        {
            // Challenge (no session: /login for a page, 401 otherwise) or forbid, as the authentication handler words them.
            return http.User.Identity?.IsAuthenticated == true ? Results.Forbid() : Results.Challenge();
        }

        if (!files.Installed)
        {
            return Results.Problem(title: "viewer not installed",
                detail: $"The OHIF viewer is not installed under {files.Root}; `./pacs up` installs it (Gateway/Viewer/ohif.pin).",
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (IsViewerWithoutStudy(http.Request))
        {
            // OHIF's viewer route with no study to open renders an empty page; the study list is where a reader starts.
            return Results.Redirect("/");
        }

        var file = files.TryMap(path);
        string caching;
        if (file is null || file == files.IndexPath)
        {
            file = files.IndexPath;
            caching = ViewerFiles.NoStore;
            http.Response.Headers.ContentSecurityPolicy = policy.Value;
        }
        else
        {
            caching = ViewerFiles.CachingOf(file);
        }

        SetIsolationHeaders(http.Response);
        http.Response.Headers.CacheControl = caching;
        var info = new FileInfo(file);
        var lastModified = new DateTimeOffset(info.LastWriteTimeUtc);
        // Weak validator from size and time: cheap, and enough for files that only change with a reinstall.
        var etag = new EntityTagHeaderValue($"\"{info.Length:x}-{lastModified.ToUnixTimeSeconds():x}\"", isWeak: true);
        var contentType = files.ContentTypeOf(file);
        return caching == ViewerFiles.NoStore
            ? Results.File(file, contentType)
            : Results.File(file, contentType, lastModified: lastModified, entityTag: etag, enableRangeProcessing: true);
    }

    /// <summary>
    /// /viewer, /viewer/ or /viewer/DATASOURCE (OHIF's viewer routes) without a StudyInstanceUIDs parameter (OHIF reads
    /// its query keys in any case).
    /// </summary>
    internal static bool IsViewerWithoutStudy(HttpRequest request)
    {
        // At most one segment after /viewer (every GET of a file passes here: no allocation).
        if (!request.Path.StartsWithSegments("/viewer", StringComparison.OrdinalIgnoreCase, out var rest)
            || (rest.Value ?? "").AsSpan().Trim('/').Contains('/'))
        {
            return false;
        }

        return !request.Query.Any(q => q.Key.Equals("StudyInstanceUIDs", StringComparison.OrdinalIgnoreCase)
            && q.Value.Any(v => !string.IsNullOrWhiteSpace(v)));
    }

    /// <summary>
    /// Cross-origin isolation, so that OHIF gets SharedArrayBuffer (its decoders and volume loading use it): COOP and
    /// COEP on the document, and on the worker scripts too (a worker's own response sets its embedder policy).
    /// Everything here is same-origin, so require-corp blocks nothing of ours; CORP states that explicitly.
    /// </summary>
    private static void SetIsolationHeaders(HttpResponse response)
    {
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers["Cross-Origin-Embedder-Policy"] = "require-corp";
        response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
        response.Headers.XContentTypeOptions = "nosniff";
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "The OHIF viewer is not installed under {Root}: / answers 503 until ./pacs installs it")]
    private static partial void LogNotInstalled(ILogger logger, string root);
}

/// <summary>The app-config.js of this gateway, generated once at start-up.</summary>
internal sealed record GeneratedAppConfig(string Script);
