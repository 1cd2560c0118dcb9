using System.Security.Claims;
using Pacs.Dicom;
using Pacs.Dicom.Query;
using Pacs.Gateway.Auth;
using Pacs.Grains.Accounts;
using Pacs.Index.Read;

namespace Pacs.Gateway.Tests;

/// <summary>
/// Access-group filtering in the index query (issue 12): the caller's groups are an SQL array literal, not a
/// parameter, so that a prepared statement's generic plan still has the column's statistics (docs/benchmarks.md, "QIDO
/// with access-group filtering"); only valid group names reach the SQL; an account of every group ("*") or an admin
/// gets no filter at all; and the statements run on the real schema, filtering in SQL.
/// </summary>
[Collection(IndexDatabaseCollection.Name)]
public sealed class IndexQueryAccessGroupsTests(IndexDatabaseFixture fixture)
{
    private static DicomQuery StudiesNamed(string pattern)
    {
        var identifier = IndexQueryTests.Identifier("STUDY", (DicomTag.PatientName, DicomVR.PN, pattern));
        var parsed = DicomQuery.FromIdentifier(identifier, QueryRetrieveSopClass.StudyRootFind, relational: false);
        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        return parsed.Query;
    }

    [Fact]
    public void Build_Groups_SortedDistinctLiteralNoParameter()
    {
        var plan = IndexQuery.Build(StudiesNamed("DOE*"), IndexQueryShape.Candidates, ["site-1", "site-0", "site-1"]);
        Assert.Contains("s.access_groups && array['site-0','site-1']::text[]", plan.Sql, StringComparison.Ordinal);
        // The name pattern is the one parameter: the groups are not.
        Assert.All(plan.Parameters, p => Assert.IsType<string>(p.Value));
        Assert.Equal(plan.Sql, IndexQuery.Build(StudiesNamed("DOE*"), IndexQueryShape.Candidates, ["site-0", "site-1"]).Sql);
    }

    [Fact]
    public void Build_InvalidGroupName_NeverReachesTheSql()
    {
        var plan = IndexQuery.Build(StudiesNamed("DOE*"), IndexQueryShape.Candidates, ["ok", "x'] || array['y", "Site-A"]);
        Assert.Contains("s.access_groups && array['ok']::text[]", plan.Sql, StringComparison.Ordinal);
        Assert.DoesNotContain("'y", plan.Sql, StringComparison.Ordinal);
        Assert.DoesNotContain("Site-A", plan.Sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_NullGroups_NoFilterAtAll()
    {
        Assert.DoesNotContain("access_groups", IndexQuery.Build(StudiesNamed("DOE*")).Sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admin", new[] { "site-0" }, null)]
    [InlineData("doctor", new[] { "site-0", "*" }, null)]
    [InlineData("doctor", new[] { "site-1", "site-0" }, new[] { "site-1", "site-0" })]
    [InlineData("operator", new string[0], new string[0])]
    public void StudyGroupsOf_AllGroupsOrAdmin_NoFilter(string role, string[] groups, string[]? expected)
    {
        var claims = new List<Claim> { new(PacsClaims.Role, role) };
        claims.AddRange(groups.Select(g => new Claim(PacsClaims.Group, g)));
        var user = new ClaimsPrincipal(new ClaimsIdentity(claims, "test"));
        Assert.Equal(expected, user.StudyGroupsOf());
    }

    [Fact]
    public async Task Find_Groups_FilteredInSql()
    {
        // The fixture's studies carry no group (the column's default): a grouped query sees none of them, the same
        // query without groups sees them all, and one with no valid group sees none (the empty literal).
        var reader = new IndexReader(fixture.DataSource);
        var all = await reader.FindAsync(StudiesNamed("*"), null, CancellationToken.None).ToListAsync();
        Assert.NotEmpty(all);
        Assert.Empty(await reader.FindAsync(StudiesNamed("*"), ["site-0", "default"], CancellationToken.None).ToListAsync());
        Assert.Empty(await reader.FindAsync(StudiesNamed("*"), [], CancellationToken.None).ToListAsync());
    }
}
