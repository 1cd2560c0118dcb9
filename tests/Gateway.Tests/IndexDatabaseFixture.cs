using Npgsql;
using Pacs.Index.Schema;
using Pacs.Testing;

namespace Pacs.Gateway.Tests;

/// <summary>A private PostgreSQL with the archive schema applied (all migrations, as the silo applies them) and the known index rows.</summary>
public sealed class IndexDatabaseFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";
    public IndexTestData Data { get; } = IndexTestData.Create();

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartNewAsync();
        var connectionString = await _server.CreateDatabaseAsync("gateway_index");
        ConnectionString = connectionString;
        await new SchemaMigrator(connectionString).MigrateAsync();
        DataSource = NpgsqlDataSource.Create(connectionString);
        await Data.InsertAsync(DataSource);
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

[CollectionDefinition(Name)]
public sealed class IndexDatabaseCollection : ICollectionFixture<IndexDatabaseFixture>
{
    public const string Name = "index-database";
}
