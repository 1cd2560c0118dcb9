using System.Text.RegularExpressions;
using Pacs.Gateway.Reports;
using Pacs.Grains.Accounts;
using Pacs.Index.Reports;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The worklist page's and report panel's texts and the shipped report templates: one file per language, each with
/// every key (every template) of the English one, none empty, and translated.
/// </summary>
public sealed partial class ReportingPageResourcesTests
{
    public static TheoryData<string> OtherLanguages() => [.. Languages.All.Where(l => l != Languages.Default)];

    [Theory]
    [MemberData(nameof(OtherLanguages))]
    public void Strings_EveryLanguage_HasEveryEnglishKeyTranslated(string language)
    {
        var english = ReportingPageStrings.Load(Languages.Default);
        var translated = ReportingPageStrings.Load(language);
        Assert.Empty(english.Keys.Except(translated.Keys));
        Assert.Empty(translated.Keys.Except(english.Keys));
        Assert.All(translated, pair => Assert.False(string.IsNullOrWhiteSpace(pair.Value), $"{language}: {pair.Key} is empty"));
        Assert.NotEqual(english["worklist_title"], translated["worklist_title"]);
        // Placeholders {0}, {1}, … survive translation.
        Assert.All(english, pair =>
        {
            for (var i = 0; pair.Value.Contains($"{{{i}}}", StringComparison.Ordinal); i++)
            {
                Assert.True(translated[pair.Key].Contains($"{{{i}}}", StringComparison.Ordinal), $"{language}: {pair.Key} lacks {{{i}}}");
            }
        });
    }

    [Theory]
    [InlineData("reporting.js")]
    [InlineData("worklist.js")]
    public void Scripts_EveryKeyTheyAskFor_IsInTheEnglishFile(string script)
    {
        using var stream = typeof(ReportingPageStrings).Assembly.GetManifestResourceStream("Pacs.Gateway.Reports.Pages." + script);
        Assert.NotNull(stream);
        var source = new StreamReader(stream).ReadToEnd();
        var english = ReportingPageStrings.Load(Languages.Default);
        var keys = KeyCall().Matches(source).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(keys);
        var missing = keys.Where(k => !english.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, "keys missing in strings.en.json: " + string.Join(", ", missing));
    }

    [Theory]
    [MemberData(nameof(OtherLanguages))]
    public void Templates_EveryLanguage_HasTheEnglishTemplatesWithText(string language)
    {
        var english = ReportTemplates.Load(Languages.Default);
        var translated = ReportTemplates.Load(language);
        Assert.True(english.Count >= 5, $"only {english.Count} templates ship");
        Assert.Equal(english.Select(t => (t.Id, t.Modality, t.BodyPart)), translated.Select(t => (t.Id, t.Modality, t.BodyPart)));
        Assert.All(translated, t =>
        {
            Assert.False(string.IsNullOrWhiteSpace(t.Name + t.Findings + t.Impression) || t.Findings.Length == 0 || t.Impression.Length == 0, $"{language}: {t.Id} is empty");
            Assert.NotEqual(english.Single(e => e.Id == t.Id).Findings, t.Findings);
        });
    }

    [Fact]
    public void Templates_ForModality_OnlyThatModality()
    {
        var ct = ReportTemplates.For("ru", "CT").ToList();
        Assert.Equal(["ct-head", "ct-chest"], ct.Select(t => t.Id));
        Assert.Contains("КТ", ct[0].Name, StringComparison.Ordinal);
        Assert.Equal(ReportTemplates.Load("en").Count, ReportTemplates.For("en", null).Count());
    }

    [GeneratedRegex(@"\bt\('([a-z_]*[a-z])'")]
    private static partial Regex KeyCall();
}
