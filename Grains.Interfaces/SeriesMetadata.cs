namespace Pacs.Grains;

/// <summary>
/// A series' WADO-RS metadata as the study grain keeps it: one DICOM JSON object per instance, in instance order,
/// concatenated into <see cref="Json"/> as a JSON array. BulkDataURIs start with <see cref="BaseUriMarker"/>, which
/// the gateway replaces with its own absolute /dicom-web URL (the grain does not know which gateway asks).
/// <see cref="Version"/> is a hash of the content: the gateway's cache key and the basis of the ETag.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("pacs.SeriesMetadata")]
public sealed record SeriesMetadata
{
    public const string BaseUriMarker = "{{dicom-web}}";

    [Id(0)] public required string Version { get; init; }

    /// <summary>The JSON array; null when the caller already holds <see cref="Version"/>.</summary>
    [Id(1)] public byte[]? Json { get; init; }

    /// <summary>SOP Instance UID of each object in <see cref="Json"/>, in order.</summary>
    [Id(2)] public IReadOnlyList<string> SopInstanceUids { get; init; } = [];

    /// <summary>Start offset of each object in <see cref="Json"/>.</summary>
    [Id(3)] public IReadOnlyList<int> Offsets { get; init; } = [];

    /// <summary>Length of each object in <see cref="Json"/>.</summary>
    [Id(4)] public IReadOnlyList<int> Lengths { get; init; } = [];
}
