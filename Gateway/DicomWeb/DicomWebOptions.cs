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

    /// <summary>
    /// Gateway-side cache of rendered series metadata, in MiB (JSON and its gzip form); the least recently used series
    /// go first. A 500-instance CT series is about 5 MiB. 0 turns the cache off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MetadataCacheMegabytes { get; set; } = 256;

    /// <summary>Largest STOW-RS request body in bytes; a longer one is answered 413 (RFC 9110 15.5.14).</summary>
    [Range(1, long.MaxValue)]
    public long MaxStowRequestBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Largest instance (one part of a STOW-RS request) in bytes; a longer one is answered 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxStowInstanceBytes { get; set; } = 2L * 1024 * 1024 * 1024;
}
