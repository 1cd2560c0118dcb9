using System.Text.Json.Serialization;

namespace Pacs.Gateway.Reports;

/// <summary>
/// A report template in one language: the exam it fits (modality, body part, words of the study description that
/// point to it) and the default text of each section of <see cref="Pacs.Grains.Reports.ReportContent"/>.
/// </summary>
internal sealed record ReportTemplate
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("modality")] public required string Modality { get; init; }
    [JsonPropertyName("bodyPart")] public required string BodyPart { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Lower-case words of a study description (in any of the languages) that propose this template.</summary>
    [JsonPropertyName("keywords")] public IReadOnlyList<string> Keywords { get; init; } = [];
    [JsonPropertyName("technique")] public string Technique { get; init; } = "";
    [JsonPropertyName("comparison")] public string Comparison { get; init; } = "";
    [JsonPropertyName("findings")] public string Findings { get; init; } = "";
    [JsonPropertyName("impression")] public string Impression { get; init; } = "";
}
