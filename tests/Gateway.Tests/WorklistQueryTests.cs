using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using Pacs.Grains.Accounts;
using Pacs.Index.Reports;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The reporting worklist's SQL (<see cref="WorklistStatement"/>, <see cref="ReportStore.WorklistAsync"/>) on a real
/// PostgreSQL with every migration: 1,100 studies (dates with ties and without a date, several modalities, access
/// groups) of which 45 % carry a report of every status, priority and flag. Each page is compared with the order and
/// filters computed here from all rows (critical first, then stat, urgent, routine, then study date newest first with
/// undated studies last, then the study key), and so is the total, exact up to
/// <see cref="WorklistStatement.CountLimit"/> or the end of the page.
/// </summary>
public sealed partial class WorklistQueryTests(WorklistQueryFixture data) : IClassFixture<WorklistQueryFixture>
{
    private const int StudyCount = WorklistQueryFixture.StudyCount;

    private readonly NpgsqlDataSource _dataSource = data.DataSource;
    private readonly IReadOnlyList<WorklistQueryFixture.Row> _rows = data.Rows;

    [Fact]
    public async Task Worklist_EveryStatusAndPriority_MatchesReference()
    {
        Assert.Equal(StudyCount, _rows.Count);
        // The data holds every combination the filters tell apart.
        Assert.All(new[] { "none", "draft", "preliminary", "final", "amended" }, s => Assert.Contains(_rows, r => r.Status == s));
        Assert.Contains(_rows, r => r.Critical && r.Status == "draft");
        Assert.Contains(_rows, r => r.Critical && r.Priority == "routine");
        Assert.Contains(_rows, r => r.Date is null && r.Status == "none");
        foreach (var status in new string?[] { null, "none", WorklistQuery.Open, "draft", "preliminary", "final", "amended" })
        {
            foreach (var priority in new string?[] { null, "routine", "urgent", "stat" })
            {
                await AssertPageAsync(new WorklistQuery { Status = status, Priority = priority });
                await AssertPageAsync(new WorklistQuery { Status = status, Priority = priority, AccessGroups = ["site-b"], Limit = 200 });
            }
        }
    }

    [Fact]
    public async Task Worklist_GroupsDatesAndModality_MatchReference()
    {
        var from = new DateOnly(2018, 3, 1);
        var to = new DateOnly(2018, 6, 30);
        foreach (var groups in new IReadOnlyList<string>?[] { null, ["site-a"], ["site-a", "site-b"], [], ["site-b", "x'] || array['y"] })
        {
            foreach (var status in new string?[] { null, WorklistQuery.Open, "final" })
            {
                await AssertPageAsync(new WorklistQuery { Status = status, AccessGroups = groups });
                await AssertPageAsync(new WorklistQuery { Status = status, AccessGroups = groups, From = from, To = to, Limit = 200 });
                await AssertPageAsync(new WorklistQuery { Status = status, AccessGroups = groups, From = to });
                await AssertPageAsync(new WorklistQuery { Status = status, AccessGroups = groups, To = from });
                await AssertPageAsync(new WorklistQuery { Status = status, AccessGroups = groups, Modality = "CT" });
                await AssertPageAsync(new WorklistQuery { Status = status, AccessGroups = groups, Modality = "SR", Priority = "routine", From = from });
                await AssertPageAsync(new WorklistQuery { Status = status, AccessGroups = groups, Modality = "NM" });
            }
        }
    }

    [Theory]
    [InlineData(null, 0, 50)]
    [InlineData(null, 50, 50)]
    [InlineData(null, 950, 50)]
    [InlineData(null, 990, 200)]
    [InlineData(null, 1050, 50)]
    [InlineData(null, 1090, 200)]
    [InlineData(null, 1100, 50)]
    [InlineData(null, 5000, 50)]
    [InlineData(WorklistQuery.Open, 0, 200)]
    [InlineData(WorklistQuery.Open, 400, 200)]
    [InlineData(WorklistQuery.Open, 700, 50)]
    [InlineData("final", 150, 50)]
    public async Task Worklist_Pages_MatchReferenceWithBoundedTotal(string? status, int offset, int limit)
    {
        await AssertPageAsync(new WorklistQuery { Status = status, Offset = offset, Limit = limit });
    }

    [Fact]
    public async Task Worklist_MoreThanTheCountLimit_TotalIsALowerBound()
    {
        // 1,100 studies, none filtered out: the first page says "1,000+", the page that ends at 1,050 counts to 1,050.
        var first = await new ReportStore(_dataSource).WorklistAsync(new WorklistQuery(), CancellationToken.None);
        Assert.Equal(((long)WorklistStatement.CountLimit, false), (first.Total, first.TotalExact));
        var deep = await new ReportStore(_dataSource).WorklistAsync(new WorklistQuery { Offset = 1000, Limit = 50 }, CancellationToken.None);
        Assert.Equal((1050L, false), (deep.Total, deep.TotalExact));
        var last = await new ReportStore(_dataSource).WorklistAsync(new WorklistQuery { Offset = 1050, Limit = 100 }, CancellationToken.None);
        Assert.Equal((1100L, true), (last.Total, last.TotalExact));
        Assert.Equal(50, last.Items.Count);
    }

    [Fact]
    public void Build_Groups_SortedDistinctLiteralNeverAParameter()
    {
        // Issue 12, as QIDO: the groups are an array literal of valid names (a prepared statement's generic plan keeps
        // the column's statistics); status and priority are literals from their closed sets.
        var statement = WorklistStatement.Build(new WorklistQuery
        {
            Status = WorklistQuery.Open, Priority = "stat", Modality = "CT", AccessGroups = ["site-b", "site-a", "site-b", "x'] || array['y", "Site-C"],
        });
        foreach (var sql in new[] { statement.PageSql, statement.CountSql })
        {
            Assert.Contains("s.access_groups && array['site-a','site-b']::text[]", sql, StringComparison.Ordinal);
            Assert.DoesNotContain("'y", sql, StringComparison.Ordinal);
            Assert.DoesNotContain("Site-C", sql, StringComparison.Ordinal);
            Assert.Contains("r.priority = 'stat'", sql, StringComparison.Ordinal);
        }

        Assert.All(statement.PageParameters.Concat(statement.CountParameters), p => Assert.NotEqual(NpgsqlDbType.Array | NpgsqlDbType.Text, p.NpgsqlDbType));
        Assert.DoesNotContain("access_groups", WorklistStatement.Build(new WorklistQuery()).PageSql, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_UnknownStatusOrPriority_Refused()
    {
        Assert.Throws<ArgumentException>(() => WorklistStatement.Build(new WorklistQuery { Status = "signed' OR true --" }));
        Assert.Throws<ArgumentException>(() => WorklistStatement.Build(new WorklistQuery { Priority = "asap" }));
        Assert.Throws<ArgumentException>(() => WorklistStatement.Build(new WorklistQuery { Offset = -1 }));
    }

    [Fact]
    public async Task Worklist_DefaultPage_WalksTheStudyOrderIndex()
    {
        // The page the worklist opens with (still to report, a doctor's groups): the rest part is a walk of
        // pacs_studies_worklist that stops after the page, not a sort of every study (the cost docs/benchmarks.md
        // measured before 0176).
        var statement = WorklistStatement.Build(new WorklistQuery { Status = WorklistQuery.Open, AccessGroups = ["site-a"] });
        await using var command = _dataSource.CreateCommand("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + statement.PageSql);
        command.Parameters.AddRange(statement.PageParameters.ToArray());
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        var text = string.Join("\n", plan);
        var walk = plan.SingleOrDefault(line => line.Contains("Index Scan using pacs_studies_worklist on pacs_studies", StringComparison.Ordinal));
        Assert.True(walk is not null, text);
        // It stops after the page: the first 50 of the open studies of one group (about a third of all), not 1,100.
        var walked = int.Parse(WalkedRows().Match(walk).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(walked is >= 50 and <= 200, text);
    }

    private async Task AssertPageAsync(WorklistQuery query)
    {
        var page = await new ReportStore(_dataSource).WorklistAsync(query, CancellationToken.None);
        var (expected, total, exact) = Expected(query);
        var what = $"status={query.Status} priority={query.Priority} groups={(query.AccessGroups is null ? "all" : string.Join(",", query.AccessGroups))} "
            + $"from={query.From} to={query.To} modality={query.Modality} offset={query.Offset} limit={query.Limit}";
        Assert.True(expected.Select(r => r.Uid).SequenceEqual(page.Items.Select(i => i.StudyInstanceUid)),
            $"{what}: expected [{string.Join(" ", expected.Select(r => r.StudyKey))}], got {page.Items.Count} items");
        Assert.True((total, exact) == (page.Total, page.TotalExact), $"{what}: total {page.Total} ({page.TotalExact}), expected {total} ({exact})");
        Assert.All(page.Items.Zip(expected), pair =>
        {
            Assert.Equal(pair.Second.Status, pair.First.ReportStatus);
            Assert.Equal(pair.Second.Priority, pair.First.Priority);
            Assert.Equal(pair.Second.Critical, pair.First.Critical);
            Assert.Equal(pair.Second.Date, pair.First.StudyDate);
        });
    }

    /// <summary>The page and total as the worklist defines them, from every row.</summary>
    private (List<WorklistQueryFixture.Row> Page, long Total, bool Exact) Expected(WorklistQuery query)
    {
        var groups = query.AccessGroups?.Where(AccessGroups.IsValidName).ToList();
        var matching = _rows
            .Where(r => groups is null || r.Groups.Intersect(groups).Any())
            .Where(r => query.Status switch
            {
                null => true,
                WorklistQuery.Open => r.Status is "none" or "draft" or "preliminary",
                var status => r.Status == status,
            })
            .Where(r => query.Priority is null || r.Priority == query.Priority)
            .Where(r => query.From is null || r.Date >= query.From)
            .Where(r => query.To is null || r.Date <= query.To)
            .Where(r => query.Modality is null || r.Modalities.Contains(query.Modality))
            .OrderByDescending(r => r.Critical)
            .ThenBy(r => r.Priority switch { "stat" => 0, "urgent" => 1, _ => 2 })
            .ThenBy(r => r.Date is null)
            .ThenByDescending(r => r.Date)
            .ThenByDescending(r => r.StudyKey)
            .ToList();
        var bound = Math.Max(WorklistStatement.CountLimit, (long)query.Offset + query.Limit);
        return (matching.Skip(query.Offset).Take(query.Limit).ToList(), Math.Min(matching.Count, bound), matching.Count <= bound);
    }

    [GeneratedRegex(@"actual rows=(\d+)")]
    private static partial Regex WalkedRows();
}
