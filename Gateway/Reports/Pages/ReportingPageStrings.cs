using System.Text.Json;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Reports;

/// <summary>
/// The texts of the worklist page and the report panel, one embedded resource per language (Pages/strings.{lang}.json).
/// English is the reference: a key missing in another language falls back to English here, and Gateway.Tests fails on it.
/// </summary>
internal static class ReportingPageStrings
{
    public const string ResourcePrefix = "Pacs.Gateway.Reports.Pages.strings.";

    private static readonly Dictionary<string, IReadOnlyDictionary<string, string>> ByLanguage =
        Languages.All.ToDictionary(l => l, Load, StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, string> Load(string language)
    {
        using var stream = typeof(ReportingPageStrings).Assembly.GetManifestResourceStream(ResourcePrefix + language + ".json")
            ?? throw new InvalidOperationException($"The reporting pages have no strings for '{language}'.");
        return JsonSerializer.Deserialize<Dictionary<string, string>>(stream) ?? [];
    }

    /// <summary>Every key of the English file, in <paramref name="language"/> where it has it.</summary>
    public static IReadOnlyDictionary<string, string> All(string language)
    {
        var english = ByLanguage[Languages.Default];
        var own = ByLanguage.GetValueOrDefault(language) ?? english;
        return english.ToDictionary(p => p.Key, p => own.TryGetValue(p.Key, out var text) ? text : p.Value, StringComparer.Ordinal);
    }
}
