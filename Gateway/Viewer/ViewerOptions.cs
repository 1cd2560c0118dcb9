namespace Pacs.Gateway.Viewer;

/// <summary>
/// Section "Pacs:Viewer": where the prebuilt OHIF viewer (npm @ohif/app, dist/) is read from, and the roots the
/// generated app-config.js points it at. Every value has a default that fits a gateway serving its own DICOMweb API.
/// </summary>
public sealed class ViewerOptions
{
    public const string Section = "Pacs:Viewer";

    /// <summary>
    /// Folder holding OHIF's dist/ (index.html and its chunks). Unset: "viewer" beside the gateway's assembly (a
    /// published gateway), else the build tree's Gateway/Viewer/node_modules/@ohif/app/dist that ./pacs installs.
    /// </summary>
    public string? Root { get; set; }

    /// <summary>Root-relative QIDO-RS and WADO-RS root (same origin as the viewer, so no CORS).</summary>
    public string DicomWebRoot { get; set; } = "/dicom-web";

    /// <summary>Root-relative WADO-URI endpoint.</summary>
    public string WadoUriRoot { get; set; } = "/wado";

    /// <summary>The clinic's name in the viewer's header (OHIF white-labelling), instead of OHIF's logo.</summary>
    public string ClinicName { get; set; } = "Clinton PACS";

    /// <summary>
    /// The clinic's logo beside its name: a PNG, JPEG, GIF or SVG file of at most <see cref="MaximumLogoBytes"/>, read
    /// at start and embedded into app-config.js as a data: URL (the viewer's CSP allows img-src data:). Empty: the name alone.
    /// </summary>
    public string LogoPath { get; set; } = "";

    public const int MaximumLogoBytes = 256 * 1024;
}
