using Pacs.Gateway.Auth;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Tests;

/// <summary>The login page's resource files: one per language, each with every key of the English one, none empty.</summary>
public sealed class LoginPageStringsTests
{
    public static TheoryData<string> OtherLanguages() => [.. Languages.All.Where(l => l != Languages.Default)];

    [Theory]
    [MemberData(nameof(OtherLanguages))]
    public void Strings_EveryLanguage_HasEveryEnglishKey(string language)
    {
        var english = LoginPageStrings.Load(Languages.Default);
        var translated = LoginPageStrings.Load(language);
        Assert.Empty(english.Keys.Except(translated.Keys));
        Assert.Empty(translated.Keys.Except(english.Keys));
        Assert.All(translated, pair => Assert.False(string.IsNullOrWhiteSpace(pair.Value), $"{language}: {pair.Key} is empty"));
    }

    [Theory]
    [MemberData(nameof(OtherLanguages))]
    public void Strings_EveryLanguage_IsTranslated(string language)
    {
        var english = LoginPageStrings.Load(Languages.Default);
        var translated = LoginPageStrings.Load(language);
        Assert.NotEqual(english["submit"] + english["password"], translated["submit"] + translated["password"]);
    }
}
