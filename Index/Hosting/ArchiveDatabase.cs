using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Pacs.Hosting;

/// <summary>
/// How both hosts (silo and gateway) reach the archive's PostgreSQL: the one data source setup, in the assembly that
/// owns the schema.
/// </summary>
public static class ArchiveDatabase
{
    /// <summary>
    /// The data source for the index. Its statements recur with every instance, so Npgsql prepares them per
    /// connection (parsed and planned once) unless the connection string sets Max Auto Prepare itself. PgBouncer in
    /// transaction mode needs 1.21+ for this (docs/operations.md).
    /// A pooled connection is not reset when it goes back to the pool (No Reset On Close): the reset is a statement
    /// the server runs on every reuse, two per stored instance, and our code leaves no session state to reset. Settings
    /// are transaction-local (set_config(..., true)) and the two session advisory locks (schema migration, blob
    /// reconciler) are released explicitly, or die with a broken session.
    /// </summary>
    public static IServiceCollection AddArchiveDatabase(this IServiceCollection services, string connectionString)
    {
        var tuned = Tune(connectionString);
        return services.AddSingleton(_ => NpgsqlDataSource.Create(tuned));
    }

    /// <summary>
    /// The connection string with the settings above filled in where it does not set them itself. Orleans' ADO.NET
    /// providers (clustering, grain state, reminders) get it too: their statements also recur (membership
    /// heartbeats, grain state) and were parsed, planned and reset on every use.
    /// </summary>
    public static string Tune(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString);
        database.MaxAutoPrepare = database.MaxAutoPrepare == 0 ? 64 : database.MaxAutoPrepare;
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase))
        {
            database.NoResetOnClose = true;
        }

        return database.ConnectionString;
    }
}
