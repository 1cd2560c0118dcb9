using System.Globalization;
using Npgsql;
using Pacs.Index.Audit;
using Pacs.Index.Schema;
using Pacs.Testing;

namespace Pacs.Gateway.Tests.Audit;

/// <summary>
/// The trail <see cref="AuditTimeRangeTests"/> read: a real PostgreSQL with every migration and 30,000 chained rows over
/// 60 days, written once for the class (its tests only read it; the one UPDATE they try is refused by the trigger).
/// </summary>
public sealed class AuditTimeRangeFixture : IAsyncLifetime
{
    public const int Rows = 30_000;
    public static readonly DateTimeOffset First = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan Step = TimeSpan.FromDays(60) / Rows;

    private PostgresServer? _server;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public AuditTrail Trail { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartNewAsync();
        var connectionString = await _server.CreateDatabaseAsync("audit_time");
        await new SchemaMigrator(connectionString).MigrateAsync();
        DataSource = NpgsqlDataSource.Create(connectionString);
        Trail = new AuditTrail(DataSource);
        for (var start = 0; start < Rows; start += 5_000)
        {
            var batch = Enumerable.Range(start, 5_000).Select(i => new AuditRecord
            {
                Time = First + (Step * i),
                Actor = i % 3 == 0 ? "dr-a" : "dr-b",
                Action = i % 2 == 0 ? "query" : "retrieve",
                Outcome = "success",
                StudyInstanceUid = "1.2.3." + (i % 97).ToString(CultureInfo.InvariantCulture),
            }).ToList();
            await Trail.AppendAsync(batch, CancellationToken.None);
        }

        await using var analyze = DataSource.CreateCommand("ANALYZE pacs_audit_events");
        await analyze.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
