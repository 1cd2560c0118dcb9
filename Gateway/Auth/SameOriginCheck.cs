namespace Pacs.Gateway.Auth;

/// <summary>
/// CSRF defence for the cookie: a state-changing request (POST, PUT, PATCH, DELETE) authenticated by the session
/// cookie must come from our own origin: its Origin header (or, without one, Sec-Fetch-Site: same-origin or a
/// same-origin Referer) must name this host. SameSite=Strict already keeps the cookie off cross-site requests; this
/// covers browsers and subdomain setups where that is not enough. Bearer-token requests carry no ambient
/// credential and are not checked.
/// </summary>
internal static class SameOriginCheck
{
    public static IApplicationBuilder UseSameOriginCheck(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method)
            && context.User.FindFirst(PacsClaims.Method)?.Value == "cookie" && !IsSameOrigin(request))
        {
            await Results.Problem(title: "Forbidden", detail: "Cross-origin state-changing request refused (Origin does not match this site).",
                statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    });

    /// <summary>True when the request demonstrably comes from a page of this host, or carries no Origin at all and no sign of a cross-site sender.</summary>
    public static bool IsSameOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            return origin != "null" && Uri.TryCreate(origin, UriKind.Absolute, out var uri) && SameHost(uri, request);
        }

        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Length > 0)
        {
            return fetchSite is "same-origin" or "none";
        }

        var referer = request.Headers.Referer.ToString();
        return referer.Length > 0 && Uri.TryCreate(referer, UriKind.Absolute, out var from) && SameHost(from, request);
    }

    private static bool SameHost(Uri uri, HttpRequest request) =>
        string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
