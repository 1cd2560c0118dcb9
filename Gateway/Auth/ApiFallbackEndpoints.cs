namespace Pacs.Gateway.Auth;

/// <summary>
/// Unknown paths under the API prefixes answer 404 with problem details for every method, without asking for
/// credentials first (an unknown path is not a resource to protect) and never with the viewer's index.html.
/// Every mapped route is more specific than these, so they only catch what nothing else does.
/// </summary>
internal static class ApiFallbackEndpoints
{
    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete];

    public static IEndpointRouteBuilder MapApiFallbacks(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/api", "/auth", "/admin", "/dicom-web", "/wado", "/metrics", "/health" })
        {
            if (prefix is not "/wado" and not "/admin")
            {
                // GET /wado itself is WADO-URI, GET /admin the admin page: a fallback on the bare prefix would tie with them.
                app.MapMethods(prefix, Methods, NotFound).AllowAnonymous();
            }

            app.MapMethods(prefix + "/{**rest}", Methods, NotFound).AllowAnonymous();
        }

        return app;
    }

    internal static IResult NotFound(HttpContext http) =>
        Results.Problem(title: "Not Found", detail: $"No resource at {http.Request.Path}.", statusCode: StatusCodes.Status404NotFound);
}
