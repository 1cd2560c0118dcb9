using Npgsql;
using Pacs.Index.Schema;
using Pacs.Testing;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The studies and reports <see cref="WorklistQueryTests"/> page through: a real PostgreSQL with every migration and
/// 1,100 studies, seeded once for the class (its tests only read them), and every row as the reference reads it.
/// </summary>
public sealed class WorklistQueryFixture : IAsyncLifetime
{
    public const int StudyCount = 1_100;

    private const string Seed = """
        INSERT INTO pacs_patients (patient_id, patient_name) SELECT 'WL' || i, 'WORKLIST^PATIENT' || i FROM generate_series(1, 300) i;
        INSERT INTO pacs_studies (study_instance_uid, patient_key, study_date, modalities_in_study, access_groups, study_description, accession_number, attributes)
        SELECT '1.2.826.0.1.3680043.10.1176.' || i,
               (SELECT patient_key FROM pacs_patients WHERE patient_id = 'WL' || (1 + i % 300)),
               CASE WHEN i % 37 = 0 THEN NULL ELSE date '2018-01-01' + (i * 7919) % 400 END,
               CASE i % 5 WHEN 0 THEN '{CT}'::text[] WHEN 1 THEN '{MR}' WHEN 2 THEN '{CR}' WHEN 3 THEN '{US}' ELSE '{CT,SR}' END,
               CASE (i / 3) % 4 WHEN 0 THEN '{site-a}'::text[] WHEN 1 THEN '{site-b}' WHEN 2 THEN '{site-a,site-b}' ELSE '{}' END,
               'Study ' || i, 'ACC' || i,
               -- About the width of a real row's study-level DICOM JSON (the harness' rows: 7 to a page), so that the
               -- planner weighs reading the table as it would in an archive.
               jsonb_build_object('00081030', jsonb_build_object('vr', 'LO', 'Value', jsonb_build_array(repeat(md5(i::text), 28))))
        FROM generate_series(1, 1100) i;
        INSERT INTO pacs_reports (study_instance_uid, status, version, revision, author, priority, critical)
        SELECT '1.2.826.0.1.3680043.10.1176.' || i,
               CASE (i * 13) % 7 WHEN 0 THEN 'draft' WHEN 1 THEN 'draft' WHEN 2 THEN 'preliminary' WHEN 6 THEN 'amended' ELSE 'final' END,
               1, 1, 'dr-' || i % 5,
               CASE (i * 17) % 11 WHEN 0 THEN 'stat' WHEN 1 THEN 'urgent' WHEN 2 THEN 'urgent' ELSE 'routine' END,
               (i * 19) % 23 = 0
        FROM generate_series(1, 1100) i WHERE i % 20 < 9;
        ANALYZE pacs_patients, pacs_studies, pacs_reports;
        """;

    private PostgresServer? _server;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    public sealed record Row(long StudyKey, string Uid, DateOnly? Date, string[] Modalities, string[] Groups, string Status, string Priority, bool Critical);

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartNewAsync();
        var connectionString = await _server.CreateDatabaseAsync("worklist");
        await new SchemaMigrator(connectionString).MigrateAsync();
        DataSource = NpgsqlDataSource.Create(connectionString);
        await using (var seed = DataSource.CreateCommand(Seed))
        {
            await seed.ExecuteNonQueryAsync();
        }

        var rows = new List<Row>();
        await using var command = DataSource.CreateCommand("""
            SELECT s.study_key, s.study_instance_uid, s.study_date, s.modalities_in_study, s.access_groups,
                   coalesce(r.status, 'none'), coalesce(r.priority, 'routine'), coalesce(r.critical, false)
            FROM pacs_studies s LEFT JOIN pacs_reports r ON r.study_instance_uid = s.study_instance_uid
            """);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new Row(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<DateOnly>(2),
                reader.GetFieldValue<string[]>(3), reader.GetFieldValue<string[]>(4), reader.GetString(5), reader.GetString(6), reader.GetBoolean(7)));
        }

        Rows = rows;
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
