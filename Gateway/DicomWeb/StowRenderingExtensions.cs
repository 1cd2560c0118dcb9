using Pacs.Gateway.DicomWeb;

// In the host's root namespace so that Program.cs wires each feature with one line and no using.
namespace Pacs.Gateway;

public static class StowRenderingExtensions
{
    /// <summary>STOW-RS: POST /dicom-web/studies and /dicom-web/studies/{study} (needs the ingest funnel).</summary>
    public static IEndpointRouteBuilder MapDicomWebStow(this IEndpointRouteBuilder app) => StowEndpoints.MapStow(app);
}
