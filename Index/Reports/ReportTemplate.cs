using System.Text.Json.Serialization;

namespace Pacs.Index.Reports;

/// <summary>
/// A report template in one language: the exam it fits (modality, body part, words of the study description that
/// point to it) and the default text of each section of <see cref="Pacs.Grains.Reports.ReportContent"/>.
/// </summary>
public sealed record ReportTemplate
{
    /// <summary>1-64 of a-z, 0-9, '-'; in a PUT body it comes from the path.</summary>
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("modality")] public required string Modality { get; init; }
    [JsonPropertyName("bodyPart")] public string BodyPart { get; init; } = "";
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Lower-case words of a study description (in any of the languages) that propose this template.</summary>
    [JsonPropertyName("keywords")] public IReadOnlyList<string> Keywords { get; init; } = [];
    [JsonPropertyName("technique")] public string Technique { get; init; } = "";
    [JsonPropertyName("comparison")] public string Comparison { get; init; } = "";
    [JsonPropertyName("findings")] public string Findings { get; init; } = "";
    [JsonPropertyName("impression")] public string Impression { get; init; } = "";
    /// <summary>Retired by an admin: no longer offered.</summary>
    [JsonPropertyName("retired")] public bool Retired { get; init; }
}
