using System.Text.Json;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Reports;

/// <summary>
/// The default report templates the system ships, one embedded resource per language (Templates/templates.{lang}.json),
/// each language with the same template ids (Gateway.Tests fails otherwise). Read-only: templates kept by admins in the
/// database are not built yet (docs/operations.md, "Reporting").
/// </summary>
internal static class ReportTemplates
{
    public const string ResourcePrefix = "Pacs.Gateway.Reports.Templates.templates.";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly Dictionary<string, IReadOnlyList<ReportTemplate>> ByLanguage =
        Languages.All.ToDictionary(l => l, Load, StringComparer.Ordinal);

    public static IReadOnlyList<ReportTemplate> Load(string language)
    {
        using var stream = typeof(ReportTemplates).Assembly.GetManifestResourceStream(ResourcePrefix + language + ".json")
            ?? throw new InvalidOperationException($"No report templates for '{language}'.");
        return JsonSerializer.Deserialize<List<ReportTemplate>>(stream, Json) ?? [];
    }

    /// <summary>The templates in <paramref name="language"/>, those of <paramref name="modality"/> only when it is given.</summary>
    public static IEnumerable<ReportTemplate> For(string language, string? modality) =>
        ByLanguage[Languages.IsValid(language) ? language : Languages.Default]
            .Where(t => modality is null || string.Equals(t.Modality, modality, StringComparison.OrdinalIgnoreCase));
}
