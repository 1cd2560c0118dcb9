using Npgsql;
using Pacs.Index.Write;
using static Pacs.Grains.Tests.IndexTestData;

namespace Pacs.Grains.Tests;

/// <summary>
/// A study batch's statements run on generic plans once prepared: planned once per connection, not on every
/// execution (docs/benchmarks.md, "store-4 at 2× Orthanc": re-planning was a quarter of PostgreSQL's CPU per instance).
/// </summary>
public sealed class StudyIndexPlanTests(ArchiveClusterFixture fixture) : IClassFixture<ArchiveClusterFixture>
{
    [Fact]
    public async Task WriteBatch_RepeatedOnOneConnection_InstanceUpsertUsesItsGenericPlanOnly()
    {
        // One connection, so the prepared statements seen below are the ones the batches used.
        var builder = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { MaxPoolSize = 1, MaxAutoPrepare = 16, AutoPrepareMinUsages = 2 };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var index = new StudyIndex(dataSource);
        var study = Uid();
        var series = Uid();

        for (var i = 1; i <= 10; i++)
        {
            var record = Record(study, series);
            await ExecuteAsync(fixture.ConnectionString, "INSERT INTO pacs_blob_intents (blob_key) VALUES ($1)", record.BlobKey);
            await index.WriteBatchAsync(new StudyBatch(study, record.Patient, record.Study, ["CT"], [CtImageStorage], 1, i,
                [new SeriesSummary(series, record.Series, i)], [new IndexedWrite(record, null)], i == 1 ? [record.Patient] : []), CancellationToken.None);
        }

        Assert.Equal(10L, await ScalarAsync<long>(fixture.ConnectionString,
            "SELECT count(*) FROM pacs_instances i JOIN pacs_studies s ON s.study_key = i.study_key WHERE s.study_instance_uid = $1", study));
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var plans = new NpgsqlCommand(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%INSERT INTO pacs_instances%'", connection);
        await using var reader = await plans.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the instance upsert was not prepared");
        Assert.True(reader.GetInt64(0) >= 5, $"generic plans: {reader.GetInt64(0)}");
        Assert.Equal(0L, reader.GetInt64(1));
    }
}
