using System.ComponentModel.DataAnnotations;

namespace Pacs.Gateway.DicomWeb;

/// <summary>DICOMweb settings (section "Pacs:DicomWeb").</summary>
public sealed class DicomWebOptions
{
    public const string Section = "Pacs:DicomWeb";

    /// <summary>
    /// Most results one QIDO-RS response carries (PS3.18 8.3.4.4: the origin server may limit); a larger or absent
    /// limit gets this many and a Warning header saying more can be requested with offset.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxQidoResults { get; set; } = 1000;

    /// <summary>Gateway-side cache of rendered series metadata (entries, one per series).</summary>
    [Range(0, 1_000_000)]
    public int MetadataCacheEntries { get; set; } = 2000;
}
