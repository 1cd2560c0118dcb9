using Npgsql;
using Pacs.Index.Schema;

namespace Pacs.Grains.Tests;

[Collection(PostgresCollection.Name)]
public sealed class SchemaMigratorTests(PostgresFixture postgres)
{
    private static readonly string[] OrleansQueryKeys =
    [
        // Clustering
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
        "CleanupDefunctSiloEntriesKey",
        // Grain storage
        "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey", "DeleteStorageKey",
        // Reminders
        "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
        "UpsertReminderRowKey", "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    [Fact]
    public void EmbeddedMigrations_AreTheOrleansFourInOrder()
    {
        var migrations = SchemaMigrator.EmbeddedMigrations();

        Assert.Equal([1, 2, 3, 4], migrations.Select(m => m.Version).Take(4));
        Assert.Equal(
            ["orleans_main", "orleans_clustering", "orleans_persistence", "orleans_reminders"],
            migrations.Select(m => m.Name).Take(4));
        Assert.All(migrations, m => Assert.False(string.IsNullOrWhiteSpace(m.Sql)));
    }

    [Fact]
    public async Task MigrateAsync_FreshDatabase_AppliesAllAndRecordsThem()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("migrate_fresh");
        var migrator = new SchemaMigrator(connectionString);

        var applied = await migrator.MigrateAsync();

        Assert.Equal(migrator.Migrations.Select(m => m.Version), applied);
        Assert.Equal(applied, await migrator.GetAppliedVersionsAsync());
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var keys = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add(reader.GetString(0));
            }
        }

        Assert.Equal(OrleansQueryKeys.Order(), keys.Order());
    }

    [Fact]
    public async Task MigrateAsync_SecondRun_AppliesNothing()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("migrate_twice");
        var migrator = new SchemaMigrator(connectionString);
        await migrator.MigrateAsync();

        var second = await new SchemaMigrator(connectionString).MigrateAsync();

        Assert.Empty(second);
        Assert.Equal(migrator.Migrations.Select(m => m.Version), await migrator.GetAppliedVersionsAsync());
    }

    [Fact]
    public async Task MigrateAsync_ThreeConcurrentRuns_ApplyEachMigrationOnce()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("migrate_concurrent");

        var runs = await Task.WhenAll(Enumerable.Range(0, 3)
            .Select(_ => Task.Run(() => new SchemaMigrator(connectionString).MigrateAsync())));

        var all = runs.SelectMany(r => r).ToList();
        Assert.Equal(SchemaMigrator.EmbeddedMigrations().Select(m => m.Version), all.Order());
        Assert.Equal(2, runs.Count(r => r.Count == 0));
    }

    [Fact]
    public async Task MigrateAsync_FailingMigration_RollsBackItAndKeepsEarlierOnes()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("migrate_failing");
        var migrations = new[]
        {
            new SchemaMigration(1, "good", "CREATE TABLE good_table (id int);"),
            new SchemaMigration(2, "bad", "CREATE TABLE half_table (id int); SELECT no_such_column FROM good_table;"),
        };

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(
            () => new SchemaMigrator(connectionString, migrations).MigrateAsync());

        Assert.Equal(2, error.Version);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT to_regclass('good_table') IS NOT NULL, to_regclass('half_table') IS NOT NULL, (SELECT count(*) FROM schema_migrations)",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.True(reader.GetBoolean(0));
        Assert.False(reader.GetBoolean(1));
        Assert.Equal(1L, reader.GetInt64(2));
    }

    [Fact]
    public async Task Migration0103_PatientGrainStateOfEarlierVersions_ConflictsMoveToTheIndex()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("migrate_patient_state");
        await new SchemaMigrator(connectionString, SchemaMigrator.EmbeddedMigrations().Where(m => m.Version < 103)).MigrateAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        const string state = """
            {"Current":{"PatientId":"P1","IssuerOfPatientId":"","PatientName":"Smith^Anna","PatientBirthDate":"19800101","PatientSex":"F","AttributesJson":""},
             "StudyInstanceUids":["1.2.3","1.2.4"],
             "Conflicts":[{"StudyInstanceUid":"1.2.4","Attribute":"PatientName","Existing":"Smith^Anna","Incoming":"Smyth^Anna","DetectedAt":"2026-11-01T10:00:00+00:00"}]}
            """;
        await using (var patient = new NpgsqlCommand("INSERT INTO pacs_patients (patient_id, patient_name) VALUES ('P1', 'Smith^Anna')", connection))
        {
            await patient.ExecuteNonQueryAsync();
        }

        await using (var seed = new NpgsqlCommand("""
            INSERT INTO orleans_storage (grain_id_hash, grain_type_hash, service_id, grain_id_n0, grain_id_n1, grain_type, grain_id_extension, payload_binary, version)
            VALUES (1, 2, 'pacs', 0, 0, 'patient', 'patient:|P1', convert_to($1, 'UTF8'), 3)
            """, connection))
        {
            seed.Parameters.Add(new NpgsqlParameter { Value = state });
            await seed.ExecuteNonQueryAsync();
        }

        Assert.Contains(103, await new SchemaMigrator(connectionString).MigrateAsync());

        await using var query = new NpgsqlCommand("""
            SELECT c.study_instance_uid, c.attribute, c.existing, c.incoming, c.detected_at, (SELECT count(*) FROM orleans_storage)
            FROM pacs_patient_conflicts c JOIN pacs_patients p USING (patient_key) WHERE p.patient_id = 'P1'
            """, connection);
        await using var reader = await query.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("1.2.4", "PatientName", "Smith^Anna", "Smyth^Anna"), (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero), reader.GetFieldValue<DateTimeOffset>(4));
        Assert.Equal(0L, reader.GetInt64(5));
        Assert.False(await reader.ReadAsync());
    }
}
