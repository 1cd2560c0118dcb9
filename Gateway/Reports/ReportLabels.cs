using System.Text.Json;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Reports;

/// <summary>
/// The report PDF's labels, one embedded resource per language (Labels/labels.{lang}.json). English is the reference:
/// a key missing in another language falls back to English here, and Gateway.Tests fails on it.
/// </summary>
internal static class ReportLabels
{
    public const string ResourcePrefix = "Pacs.Gateway.Reports.Labels.labels.";

    private static readonly Dictionary<string, IReadOnlyDictionary<string, string>> ByLanguage =
        Languages.All.ToDictionary(l => l, Load, StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, string> Load(string language)
    {
        using var stream = typeof(ReportLabels).Assembly.GetManifestResourceStream(ResourcePrefix + language + ".json")
            ?? throw new InvalidOperationException($"The report has no labels for '{language}'.");
        return JsonSerializer.Deserialize<Dictionary<string, string>>(stream) ?? [];
    }

    public static string Get(string language, string key) =>
        ByLanguage.TryGetValue(language, out var labels) && labels.TryGetValue(key, out var text) ? text
        : ByLanguage[Languages.Default].TryGetValue(key, out var english) ? english : key;
}
