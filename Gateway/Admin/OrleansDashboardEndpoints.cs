using Orleans.Dashboard;
using Pacs.Gateway.Auth;

namespace Pacs.Gateway.Admin;

/// <summary>
/// The Orleans dashboard (<c>Microsoft.Orleans.Dashboard</c>: silos, grain activations and calls per type, reminders)
/// for admins at <see cref="Path"/>, when <c>Pacs:Telemetry:OrleansDashboard</c> is on (docs/operations.md, "Orleans
/// dashboard"). The package collects on every silo (<c>AddDashboard</c> on the silo builder) and serves its page and
/// API from an ASP.NET Core host that is an Orleans client: the gateway, behind <see cref="Policies.Admin"/>, so the
/// silos open no HTTP port for it. Two of its endpoints are not served: the live log stream (<c>Trace</c>, 403 through
/// <see cref="DashboardOptions.HideTrace"/>: the gateway's logs belong in the log pipeline) and <c>GrainState</c>,
/// which would show a grain's state, patient data included, outside the audit trail (404).
/// </summary>
internal static class OrleansDashboardEndpoints
{
    public const string Path = "/admin/orleans";

    /// <summary>The dashboard's options where it is served (the gateways).</summary>
    public static void Configure(DashboardOptions options) => options.HideTrace = true;

    public static IEndpointRouteBuilder MapOrleansDashboardForAdmins(this IEndpointRouteBuilder app)
    {
        app.MapOrleansDashboard(Path)
            .RequireAuthorization(Policies.Admin)
            .AddEndpointFilter(async (context, next) =>
                context.HttpContext.GetEndpoint() is RouteEndpoint endpoint
                    && endpoint.RoutePattern.RawText?.EndsWith("/GrainState", StringComparison.OrdinalIgnoreCase) == true
                    ? ApiFallbackEndpoints.NotFound(context.HttpContext)
                    : await next(context).ConfigureAwait(false));
        return app;
    }
}
