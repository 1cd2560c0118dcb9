using System.Text.Json;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Admin;

/// <summary>
/// The texts of /account and /admin, one embedded resource per language (Admin/Pages/strings.{lang}.json). English is
/// the reference: a key missing in another language falls back to English here, and Gateway.Tests fails on it.
/// </summary>
internal static class AdminPageStrings
{
    public const string ResourcePrefix = "Pacs.Gateway.Admin.Pages.strings.";

    private static readonly Dictionary<string, IReadOnlyDictionary<string, string>> ByLanguage =
        Languages.All.ToDictionary(l => l, Load, StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, string> Load(string language)
    {
        using var stream = typeof(AdminPageStrings).Assembly.GetManifestResourceStream(ResourcePrefix + language + ".json")
            ?? throw new InvalidOperationException($"The admin pages have no strings for '{language}'.");
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
