using System.Text.Json;
using Pacs.Grains.Accounts;
using Pacs.Index.Reports;

namespace Pacs.Gateway.Reports;

/// <summary>
/// The default report templates the system ships, one embedded resource per language (Templates/templates.{lang}.json),
/// each language with the same template ids (Gateway.Tests fails otherwise), merged with the admins' changes
/// (pacs_report_templates, ReportTemplateStore): a stored template replaces the shipped one of its id, a retired one
/// hides it.
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

    /// <summary>
    /// The templates offered in <paramref name="language"/> (a valid one), those of <paramref name="modality"/> only when
    /// it is given: the shipped ones, replaced, added to or retired by <paramref name="stored"/> (the admins' rows).
    /// </summary>
    public static IEnumerable<ReportTemplate> For(string language, string? modality, IReadOnlyList<ReportTemplate>? stored = null)
    {
        var byId = stored?.ToDictionary(t => t.Id, StringComparer.Ordinal) ?? [];
        var shipped = ByLanguage[language];
        return shipped.Select(t => byId.GetValueOrDefault(t.Id) ?? t)
            .Concat((stored ?? []).Where(t => !shipped.Any(s => s.Id == t.Id)))
            .Where(t => !t.Retired)
            .Where(t => modality is null || string.Equals(t.Modality, modality, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Whether a template of this id ships (in every language).</summary>
    public static bool Ships(string id) => ByLanguage[Languages.Default].Any(t => t.Id == id);
}
