using System.Text.Json;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>
/// The login page's texts, one embedded resource per language (LoginPage/strings.{lang}.json). English is the
/// reference: a key missing in another language falls back to English here, and Gateway.Tests fails on it.
/// </summary>
internal sealed class LoginPageStrings
{
    public const string ResourcePrefix = "Pacs.Gateway.Auth.LoginPage.strings.";

    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _byLanguage = new(StringComparer.Ordinal);

    public LoginPageStrings()
    {
        foreach (var language in Languages.All)
        {
            _byLanguage[language] = Load(language);
        }
    }

    public static IReadOnlyDictionary<string, string> Load(string language)
    {
        using var stream = typeof(LoginPageStrings).Assembly.GetManifestResourceStream(ResourcePrefix + language + ".json")
            ?? throw new InvalidOperationException($"The login page has no strings for '{language}'.");
        return JsonSerializer.Deserialize<Dictionary<string, string>>(stream) ?? [];
    }

    public string Get(string language, string key) =>
        _byLanguage.TryGetValue(language, out var strings) && strings.TryGetValue(key, out var text) ? text
        : _byLanguage[Languages.Default].TryGetValue(key, out var english) ? english : key;
}
