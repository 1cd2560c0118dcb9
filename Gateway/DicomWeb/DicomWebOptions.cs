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

    /// <summary>
    /// How long, in milliseconds, this gateway uses the rows of a series it read from the index to find the instance a
    /// frame, rendered or thumbnail URL names (<see cref="InstanceLookup"/>): one query per series instead of one per
    /// frame. Also the longest an instance deleted or replaced through another gateway can still be found here (its
    /// blob is then gone: 404). A delete through this gateway takes effect at once. 0 asks the index on every request.
    /// </summary>
    [Range(0, 60_000)]
    public int InstanceLookupMilliseconds { get; set; } = 2000;

    /// <summary>
    /// Gateway-side cache of encoded rendered images and thumbnails, in MiB (<see cref="Rendering.RenderedCache"/>);
    /// the least recently used go first. A thumbnail is about 5 KB. 0 turns the cache off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int RenderedCacheMegabytes { get; set; } = 64;

    /// <summary>Largest STOW-RS request body in bytes; a longer one is answered 413 (RFC 9110 15.5.14).</summary>
    [Range(1, long.MaxValue)]
    public long MaxStowRequestBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Largest instance (one part of a STOW-RS request) in bytes; a longer one is answered 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxStowInstanceBytes { get; set; } = 2L * 1024 * 1024 * 1024;
}
