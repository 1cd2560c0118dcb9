using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.DicomWeb.Rendering;

// In the host's root namespace so that Program.cs wires each feature with one line and no using.
namespace Pacs.Gateway;

public static class StowRenderingExtensions
{
    /// <summary>What rendering and WADO-URI need: the index reader, blob store and pixel data locator, bundled.</summary>
    public static IServiceCollection AddDicomWebRendering(this IServiceCollection services)
    {
        services.AddSingleton<RenderingServices>();
        return services;
    }

    /// <summary>STOW-RS: POST /dicom-web/studies and /dicom-web/studies/{study} (needs the ingest funnel).</summary>
    public static IEndpointRouteBuilder MapDicomWebStow(this IEndpointRouteBuilder app) => StowEndpoints.MapStow(app);

    /// <summary>Rendered frames and instances, thumbnails at instance, series and study level.</summary>
    public static IEndpointRouteBuilder MapDicomWebRendering(this IEndpointRouteBuilder app) => RenderedEndpoints.MapRendered(app);

    /// <summary>WADO-URI: GET /wado.</summary>
    public static IEndpointRouteBuilder MapWadoUri(this IEndpointRouteBuilder app) => WadoUriEndpoints.MapWadoUri(app);
}
