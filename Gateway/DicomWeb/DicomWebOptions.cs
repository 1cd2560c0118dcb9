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

    /// <summary>
    /// DICOMweb reads this gateway runs at once (<see cref="ReadAdmission"/>); the others wait in its queue, searches and
    /// metadata first, then a series' first image, then the rest, each round-robin over readers. 0: twice the cores.
    /// </summary>
    [Range(0, 10_000)]
    public int ReadConcurrency { get; set; }

    /// <summary>
    /// While this gateway receives instances (C-STORE, STOW-RS; within a second of the last one), a bulk read starts only
    /// while fewer reads than this run, so that readers leave the modalities their share of the cores (issue 17 §1);
    /// searches, metadata and a series' first image still start up to <see cref="ReadConcurrency"/>. 0: half the
    /// gateway's cores, at least 1.
    /// </summary>
    [Range(0, 10_000)]
    public int ReadConcurrencyDuringIngest { get; set; }

    /// <summary>
    /// While this gateway receives instances, the share of the time bulk reads (frames past a series' first, thumbnails,
    /// retrieves, C-MOVE/C-GET sub-operations) may hold its read slots: after each, the next waits (1 − share) / share
    /// times as long as it held its slot. Searches, metadata and a series' first frame are not held back. 1: no pause.
    /// 0.2 measured against 0.3 (docs/benchmarks.md, "The bulk share: 0.2 against 0.3"): the readers' first image and
    /// ingest as well or better, the same frames per second, frames' p95 during ingest less than half.
    /// </summary>
    [Range(0.01, 1.0)]
    public double ReadBulkShareDuringIngest { get; set; } = 0.2;

    /// <summary>Reads that may wait for a slot; one more is answered 503 with Retry-After.</summary>
    [Range(1, 1_000_000)]
    public int ReadQueueLimit { get; set; } = 4000;

    /// <summary>
    /// A read that has held its slot this long (a large answer to a slow network, a whole-study retrieve) stops
    /// counting against <see cref="ReadConcurrency"/>, so slow clients cannot hold back the rest.
    /// </summary>
    [Range(1, 600_000)]
    public int ReadSlotMilliseconds { get; set; } = 250;
}
