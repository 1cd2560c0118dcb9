using System.Text.RegularExpressions;
using Pacs.Gateway.Admin;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The texts of /account and /admin: one file per language, each with every key of the English one, none empty,
/// translated, placeholders kept; and every key the pages' scripts ask for is in the English file.
/// </summary>
public sealed partial class AdminPageResourcesTests
{
    public static TheoryData<string> OtherLanguages() => [.. Languages.All.Where(l => l != Languages.Default)];

    [Theory]
    [MemberData(nameof(OtherLanguages))]
    public void Strings_EveryLanguage_HasEveryEnglishKeyTranslated(string language)
    {
        var english = AdminPageStrings.Load(Languages.Default);
        var translated = AdminPageStrings.Load(language);
        Assert.Empty(english.Keys.Except(translated.Keys));
        Assert.Empty(translated.Keys.Except(english.Keys));
        Assert.All(translated, pair => Assert.False(string.IsNullOrWhiteSpace(pair.Value), $"{language}: {pair.Key} is empty"));
        Assert.NotEqual(english["account_title"], translated["account_title"]);
        Assert.NotEqual(english["tab_accounts"], translated["tab_accounts"]);
        Assert.All(english, pair =>
        {
            for (var i = 0; pair.Value.Contains($"{{{i}}}", StringComparison.Ordinal); i++)
            {
                Assert.True(translated[pair.Key].Contains($"{{{i}}}", StringComparison.Ordinal), $"{language}: {pair.Key} lacks {{{i}}}");
            }
        });
    }

    [Theory]
    [InlineData("account.js")]
    [InlineData("admin.js")]
    public void Scripts_EveryKeyTheyAskFor_IsInTheEnglishFile(string script)
    {
        using var stream = typeof(AdminPageStrings).Assembly.GetManifestResourceStream("Pacs.Gateway.Admin.Pages." + script);
        Assert.NotNull(stream);
        var source = new StreamReader(stream).ReadToEnd();
        var english = AdminPageStrings.Load(Languages.Default);
        var keys = KeyCall().Matches(source).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(keys);
        var missing = keys.Where(k => !english.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, "keys missing in strings.en.json: " + string.Join(", ", missing));
        // Keys made from a prefix and a value of the API: every value has its key.
        Assert.All(Roles.All, r => Assert.True(english.ContainsKey("role_" + r), "role_" + r));
        Assert.All(new[] { "success", "denied", "failure", "error" }, o => Assert.True(english.ContainsKey("outcome_" + o), "outcome_" + o));
        Assert.All(Languages.All, l => Assert.True(english.ContainsKey("lang_" + l), "lang_" + l));
    }

    [GeneratedRegex(@"\bt\('([a-z_]*[a-z])'")]
    private static partial Regex KeyCall();
}
