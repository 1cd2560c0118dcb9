using Npgsql;
using Pacs.Testing;

namespace Pacs.Grains.Tests;

// Pacs.Testing has no test project of its own; its server is exercised here, where it is used.
[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests(PostgresFixture postgres)
{
    [Fact]
    public async Task StopThenStart_SameDataDirectory_KeepsCommittedRows()
    {
        var server = postgres.Server;
        if (server.IsExternal)
        {
            // PACS_TEST_DB names a server that is not ours to restart.
            await Assert.ThrowsAsync<NotSupportedException>(() => server.StopAsync());
            return;
        }

        var connectionString = await server.CreateDatabaseAsync("restart_keeps_rows");
        await ExecuteAsync(connectionString, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42);");

        await server.StopAsync();
        Assert.False(server.IsRunning);
        await Assert.ThrowsAnyAsync<Exception>(() => ExecuteAsync(connectionString, "SELECT 1"));
        await server.StartAsync();

        Assert.True(server.IsRunning);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM kept", connection);
        Assert.Equal(42, (int)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task SharedServer_TwoFixturesAskingTheSameName_KeepApartAndDropOnlyTheirOwn()
    {
        // Two test classes (or two test processes) on one PACS_TEST_DB server both ask for "shared".
        await using var first = await PostgresServer.ConnectAsync(postgres.Server.AdminConnectionString);
        var second = await PostgresServer.ConnectAsync(postgres.Server.AdminConnectionString);
        Assert.True(first.IsExternal);

        var firstDb = await first.CreateDatabaseAsync("shared");
        await ExecuteAsync(firstDb, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (7);");
        var secondDb = await second.CreateDatabaseAsync("shared");
        Assert.NotEqual(first.DatabaseName("shared"), second.DatabaseName("shared"));
        Assert.StartsWith("shared_", second.DatabaseName("shared"), StringComparison.Ordinal);
        await ExecuteAsync(secondDb, "CREATE TABLE kept (id int)");

        await second.DisposeAsync();

        // The second's creating and dropping left the first's rows alone; its own database is gone.
        await using (var connection = new NpgsqlConnection(firstDb))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT id FROM kept", connection);
            Assert.Equal(7, (int)(await command.ExecuteScalarAsync())!);
        }
        Assert.False(await DatabaseExistsAsync(second.DatabaseName("shared")));
        Assert.True(await DatabaseExistsAsync(first.DatabaseName("shared")));
    }

    private async Task<bool> DatabaseExistsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(postgres.Server.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = $1", connection);
        command.Parameters.AddWithValue(database);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
