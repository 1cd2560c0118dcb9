using System.Net;
using System.Text.RegularExpressions;
using Pacs.Gateway.Reports;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The worklist page's header links, as the admin pages' header has them: the study list and /account for everyone
/// who may open the worklist, /admin for admins only; in each of the five languages, with that language's texts.
/// </summary>
public sealed partial class WorklistPageHeaderTests(ReportingPagesHostFixture host) : IClassFixture<ReportingPagesHostFixture>
{
    public static TheoryData<string, string> RolesAndLanguages()
    {
        var data = new TheoryData<string, string>();
        foreach (var role in new[] { Roles.Admin, Roles.Doctor })
        {
            foreach (var language in Languages.All)
            {
                data.Add(role, language);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RolesAndLanguages))]
    public async Task Worklist_Header_LinksAccountAndAdminOnlyForAdmins(string role, string language)
    {
        var strings = ReportingPageStrings.All(language);
        var header = await HeaderAsync(role, language);

        var links = LinkPattern().Matches(header).Select(m => (Href: m.Groups["href"].Value, Text: WebUtility.HtmlDecode(m.Groups["text"].Value))).ToList();
        var expected = new List<(string, string)> { ("/", strings["study_list"]) };
        if (role == Roles.Admin)
        {
            expected.Add(("/admin", strings["administration"]));
        }

        expected.Add(("/account", strings["my_account"]));
        Assert.Equal(expected, links);
        if (language != Languages.Default)
        {
            // Translated, not the English fallback.
            Assert.NotEqual(ReportingPageStrings.All(Languages.Default)["my_account"], strings["my_account"]);
        }
    }

    [Fact]
    public async Task Worklist_Operator_Forbidden()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/worklist");
        request.Headers.Add(TestRoleAuthenticationHandler.Header, Roles.Operator);
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private async Task<string> HeaderAsync(string role, string language)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/worklist?lang=" + language);
        request.Headers.Add(TestRoleAuthenticationHandler.Header, role);
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        var match = HeaderPattern().Match(html);
        Assert.True(match.Success, "no <header> in the worklist page:\n" + html);
        return match.Value;
    }

    [GeneratedRegex("<header>.*?</header>", RegexOptions.Singleline)]
    private static partial Regex HeaderPattern();

    [GeneratedRegex("<a href=\"(?<href>[^\"]*)\"[^>]*>(?<text>[^<]*)</a>")]
    private static partial Regex LinkPattern();
}
