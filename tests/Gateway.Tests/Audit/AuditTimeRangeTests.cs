using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Tests.Audit;

/// <summary>
/// The audit trail read by time (the admin audit tab's from/to filter, GET /api/audit/export) on a real PostgreSQL with
/// every migration and 30,000 chained rows over 60 days: the statements AuditTrail sends are served by a range scan of
/// pacs_audit_events_time (occurred_at, event_key) with no sort of the range, also as a prepared statement's generic
/// plan; paging returns exactly the rows of the range, each once, in order; and the hash chain and the append-only
/// triggers are as before.
/// </summary>
public sealed class AuditTimeRangeTests(AuditTimeRangeFixture data) : IClassFixture<AuditTimeRangeFixture>
{
    private const int Rows = AuditTimeRangeFixture.Rows;
    private static readonly DateTimeOffset First = AuditTimeRangeFixture.First;
    private static readonly TimeSpan Step = AuditTimeRangeFixture.Step;

    private readonly NpgsqlDataSource _dataSource = data.DataSource;
    private readonly AuditTrail _trail = data.Trail;

    // One day in the middle of the 60: 500 rows.
    private static DateTimeOffset From => First.AddDays(30);
    private static DateTimeOffset To => First.AddDays(31);

    public static TheoryData<string> Filters() => ["range", "range+before", "from", "range+action"];

    private AuditFilter FilterOf(string kind) => kind switch
    {
        "range" => new AuditFilter { From = From, To = To },
        "range+before" => new AuditFilter { From = From, To = To, Before = KeyAt(From.AddHours(12)) },
        "from" => new AuditFilter { From = From },
        "range+action" => new AuditFilter { From = From, To = To, Action = "query" },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    // Rows are written in time order here, so row i has event key i + 1.
    private static long KeyAt(DateTimeOffset time) => (long)((time - First) / Step) + 1;

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Query_TimeRange_RangeScanOfTheTimeIndexWithoutSort(string kind)
    {
        var (sql, parameters) = AuditTrail.QuerySql(FilterOf(kind));
        var custom = await PlanAsync(sql, parameters, generic: false);
        var generic = await PlanAsync(sql, parameters, generic: true);
        foreach (var plan in new[] { custom, generic })
        {
            Assert.Contains("pacs_audit_events_time", IndexNames(plan));
            Assert.DoesNotContain("Seq Scan", NodeTypes(plan));
            Assert.DoesNotContain("Sort", NodeTypes(plan));
        }
    }

    [Fact]
    public async Task Export_TimeRange_RangeScanOfTheTimeIndexWithoutSort()
    {
        // The export's statement (AuditTrail.RangeAsync) for a later page: after a row inside the range.
        const string Sql = """
            SELECT event_key FROM pacs_audit_events WHERE occurred_at >= $1 AND occurred_at < $2
              AND (occurred_at, event_key) > ((SELECT c.occurred_at FROM pacs_audit_events c WHERE c.event_key = $4), $4)
            ORDER BY occurred_at, event_key LIMIT $3
            """;
        var parameters = new List<NpgsqlParameter>
        {
            new() { Value = From, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            new() { Value = To, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            new() { Value = 500, NpgsqlDbType = NpgsqlDbType.Integer },
            new() { Value = KeyAt(From.AddHours(6)), NpgsqlDbType = NpgsqlDbType.Bigint },
        };
        var plan = await PlanAsync(Sql, parameters, generic: false);
        Assert.Contains("pacs_audit_events_time", IndexNames(plan));
        Assert.DoesNotContain("Sort", NodeTypes(plan));
        Assert.DoesNotContain("Seq Scan", NodeTypes(plan));
    }

    [Fact]
    public async Task Query_PagedThroughADay_EveryRowOfTheDayOnceNewestFirst()
    {
        var seen = new List<AuditEvent>();
        long? before = null;
        while (true)
        {
            var page = await _trail.QueryAsync(new AuditFilter { From = From, To = To, Before = before, Limit = 70 }, CancellationToken.None);
            seen.AddRange(page);
            if (page.Count < 70)
            {
                break;
            }

            before = page[^1].EventKey;
        }

        var expected = Enumerable.Range(0, Rows).Select(i => (Key: (long)i + 1, Time: First + (Step * i)))
            .Where(r => r.Time >= From && r.Time < To).Select(r => r.Key).Reverse().ToList();
        Assert.Equal(500, expected.Count);
        Assert.Equal(expected, seen.Select(e => e.EventKey));
        Assert.All(seen, e => Assert.InRange(e.Time, From, To.AddTicks(-1)));
    }

    [Fact]
    public async Task Range_PagedThroughADay_EveryRowOfTheDayOnceInTimeOrder()
    {
        var seen = new List<AuditEvent>();
        long after = 0;
        while (true)
        {
            var page = await _trail.RangeAsync(From, To, after, 70, CancellationToken.None);
            seen.AddRange(page);
            if (page.Count < 70)
            {
                break;
            }

            after = page[^1].EventKey;
        }

        Assert.Equal(500, seen.Count);
        Assert.Equal(seen.Select(e => e.EventKey).Order(), seen.Select(e => e.EventKey));
        Assert.Equal(KeyAt(From), seen[0].EventKey);
        Assert.All(seen, e => Assert.InRange(e.Time, From, To.AddTicks(-1)));
        Assert.Equal(seen[^1].EventKey, (await _trail.GetAsync(seen[^1].EventKey, CancellationToken.None))!.EventKey);
        Assert.Null(await _trail.GetAsync(Rows + 10, CancellationToken.None));
    }

    [Fact]
    public async Task Chain_AfterTheMigration_IntactAndAppendOnly()
    {
        var verification = await _trail.VerifyAsync(CancellationToken.None);
        Assert.Equal(Rows, verification.Checked);
        Assert.Null(verification.BrokenSeq);

        await using var update = _dataSource.CreateCommand("UPDATE pacs_audit_events SET actor = 'x' WHERE event_key = 1");
        var refused = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
        Assert.Equal("PC010", refused.SqlState);
    }

    /// <summary>EXPLAIN of the statement with its parameters; generic: as a prepared statement's generic plan.</summary>
    private async Task<JsonElement> PlanAsync(string sql, IReadOnlyList<NpgsqlParameter> parameters, bool generic)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        string text;
        if (generic)
        {
            var types = string.Join(", ", parameters.Select(p => p.NpgsqlDbType switch
            {
                NpgsqlDbType.TimestampTz => "timestamptz",
                NpgsqlDbType.Text => "text",
                NpgsqlDbType.Bigint => "bigint",
                NpgsqlDbType.Integer => "integer",
                _ => throw new InvalidOperationException(p.NpgsqlDbType.ToString()),
            }));
            await using (var prepare = new NpgsqlCommand($"SET plan_cache_mode = force_generic_plan; PREPARE audit_page ({types}) AS {sql}", connection))
            {
                await prepare.ExecuteNonQueryAsync();
            }

            // EXECUTE takes no bind parameters: the values as literals (the generic plan does not look at them anyway).
            var arguments = string.Join(", ", parameters.Select(p => p.Value switch
            {
                DateTimeOffset t => "'" + t.ToString("O", CultureInfo.InvariantCulture) + "'::timestamptz",
                string v => "'" + v.Replace("'", "''", StringComparison.Ordinal) + "'",
                _ => Convert.ToString(p.Value, CultureInfo.InvariantCulture),
            }));
            text = $"EXPLAIN (FORMAT JSON) EXECUTE audit_page ({arguments})";
            parameters = [];
        }
        else
        {
            text = "EXPLAIN (FORMAT JSON) " + sql;
        }

        await using var command = new NpgsqlCommand(text, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p.Value, NpgsqlDbType = p.NpgsqlDbType });
        }

        var json = (string)(await command.ExecuteScalarAsync())!;
        return JsonDocument.Parse(json).RootElement[0].GetProperty("Plan").Clone();
    }

    private static List<string> NodeTypes(JsonElement plan) => [.. Nodes(plan).Select(n => n.GetProperty("Node Type").GetString()!)];

    private static List<string> IndexNames(JsonElement plan) =>
        [.. Nodes(plan).Where(n => n.TryGetProperty("Index Name", out _)).Select(n => n.GetProperty("Index Name").GetString()!)];

    private static IEnumerable<JsonElement> Nodes(JsonElement plan)
    {
        yield return plan;
        if (plan.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                foreach (var node in Nodes(child))
                {
                    yield return node;
                }
            }
        }
    }
}
