using Npgsql;

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

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
