using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Pacs.Gateway.Transport;

/// <summary>
/// Headers every response gets: no <c>Server</c>; not to be framed by another origin (X-Frame-Options for old
/// browsers, CSP frame-ancestors for the rest); no Referer with our URLs (they carry study UIDs) to other origins;
/// no MIME sniffing; and <c>Cache-Control: no-store</c> unless the endpoint chose its caching itself (the viewer's
/// content-hashed files): DICOMweb answers, metadata and the viewer's documents carry patient data, which must not be
/// left in a shared or browser cache. HTML documents without a policy of their own get a restrictive CSP.
/// Over HTTPS, Strict-Transport-Security; over HTTP with <see cref="TlsOptions.RedirectHttp"/>, a redirect to HTTPS.
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next, IOptions<TlsOptions> tls, HttpsEndpoint https)
{
    /// <summary>For HTML that is not the viewer (which sets its own, see Viewer/ViewerContentSecurityPolicy.cs).</summary>
    public const string DefaultDocumentPolicy = "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

    private readonly string? _hsts = tls.Value.HstsMaxAgeSeconds > 0 ? $"max-age={tls.Value.HstsMaxAgeSeconds}" : null;
    private readonly bool _redirect = tls.Value.RedirectHttp && https.Port is not null;

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.IsHttps && _redirect && !request.Path.StartsWithSegments("/health"))
        {
            // 308 keeps the method and body (RFC 9110 15.4.9): a STOW POST is repeated as a POST.
            var target = UriHelper.BuildAbsolute("https", new HostString(request.Host.Host, https.Port!.Value), request.PathBase, request.Path, request.QueryString);
            context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
            context.Response.Headers.Location = target;
            context.Response.Headers.CacheControl = "no-store";
            return Task.CompletedTask;
        }
        var secure = request.IsHttps;
        context.Response.OnStarting(static state =>
        {
            var (response, hsts) = ((HttpResponse, string?))state;
            var headers = response.Headers;
            headers.Remove(HeaderNames.Server);
            headers.XFrameOptions = "SAMEORIGIN";
            headers["Referrer-Policy"] = "same-origin";
            headers.XContentTypeOptions = "nosniff";
            if (hsts is not null)
            {
                headers.StrictTransportSecurity = hsts;
            }

            if (string.IsNullOrEmpty(headers.CacheControl))
            {
                headers.CacheControl = "no-store";
            }

            if (string.IsNullOrEmpty(headers.ContentSecurityPolicy)
                && response.ContentType is { } type && type.StartsWith("text/html", StringComparison.OrdinalIgnoreCase))
            {
                headers.ContentSecurityPolicy = DefaultDocumentPolicy;
            }

            return Task.CompletedTask;
        }, (context.Response, secure ? _hsts : null));
        return next(context);
    }
}
