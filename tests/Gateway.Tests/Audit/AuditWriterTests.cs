using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Pacs.Gateway.Audit;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Tests.Audit;

/// <summary>
/// The audit writer on a real PostgreSQL with the archive schema: records that arrive within one flush interval are
/// written by one INSERT (one transaction: one xmin for all their rows), not one transaction per record as a C-STORE
/// burst used to cost; records queued when the host stops are still written.
/// </summary>
[Collection(IndexDatabaseCollection.Name)]
public sealed class AuditWriterTests(IndexDatabaseFixture database)
{
    [Fact]
    public async Task Writer_BurstWithinFlushInterval_OneTransaction()
    {
        var actor = "ae:BURST" + Guid.NewGuid().ToString("N")[..8];
        var writer = Writer(TimeSpan.FromSeconds(1));
        await writer.StartAsync(CancellationToken.None);
        try
        {
            for (var i = 0; i < 40; i++)
            {
                writer.Record(new AuditRecord { Actor = actor, Action = "store", Outcome = "success", SopInstanceUid = "1.2.3." + i });
            }

            var (rows, transactions) = await WaitForRowsAsync(actor, 40);
            Assert.Equal(40, rows);
            Assert.Equal(1, transactions);
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Writer_StoppedDuringFlushInterval_WritesWhatWasQueued()
    {
        var actor = "ae:STOP" + Guid.NewGuid().ToString("N")[..8];
        var writer = Writer(TimeSpan.FromSeconds(2));
        await writer.StartAsync(CancellationToken.None);
        writer.Record(new AuditRecord { Actor = actor, Action = "store", Outcome = "success" });
        writer.Record(new AuditRecord { Actor = actor, Action = "store", Outcome = "failure" });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await writer.StopAsync(timeout.Token);

        var (rows, _) = await CountAsync(actor);
        Assert.Equal(2, rows);
        Assert.Equal(0, writer.Dropped);
    }

    private AuditWriter Writer(TimeSpan flushInterval) =>
        new(new AuditTrail(database.DataSource), Options.Create(new AuditOptions { FlushInterval = flushInterval }), NullLogger<AuditWriter>.Instance);

    private async Task<(long Rows, long Transactions)> WaitForRowsAsync(string actor, long expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var counts = await CountAsync(actor);
            if (counts.Rows >= expected || DateTime.UtcNow > deadline)
            {
                return counts;
            }

            await Task.Delay(50);
        }
    }

    private async Task<(long Rows, long Transactions)> CountAsync(string actor)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT count(*), count(DISTINCT xmin::text) FROM pacs_audit_events WHERE actor = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = actor });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
