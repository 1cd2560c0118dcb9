using System.Diagnostics;
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
    /// The data source's name in telemetry: <c>db.client.connection.pool.name</c> of Npgsql's metrics,
    /// <c>db.npgsql.data_source</c> of its spans. Unnamed, Npgsql uses the whole connection string (without the
    /// password): a label that long on every series, and hashed again with every measurement of every statement.
    /// </summary>
    public const string Name = "pacs";

    /// <summary>
    /// The data source for the index. Its statements recur with every instance, so Npgsql prepares them per
    /// connection (parsed and planned once) unless the connection string sets Max Auto Prepare itself. PgBouncer in
    /// transaction mode needs 1.21+ for this (docs/operations.md).
    /// A pooled connection is not reset when it goes back to the pool (No Reset On Close): the reset is a statement
    /// the server runs on every reuse, two per stored instance, and our code leaves no session state to reset. Settings
    /// are transaction-local (set_config(..., true)) and the two session advisory locks (schema migration, blob
    /// reconciler) are released explicitly, or die with a broken session.
    /// </summary>
    /// <remarks>
    /// Telemetry (docs/operations.md, "Observability"): named <see cref="Name"/>, and a statement gets a span only
    /// inside a recorded one (<see cref="Build"/>).
    /// </remarks>
    public static IServiceCollection AddArchiveDatabase(this IServiceCollection services, string connectionString)
    {
        var tuned = Tune(connectionString);
        return services.AddSingleton(_ => Build(tuned));
    }

    /// <summary>
    /// The data source of a tuned connection string. Npgsql starts a statement's span only when the current span is
    /// recorded: the decision the hosts' sampler makes anyway (parent-based, and a statement without a parent is never
    /// recorded, <c>ArchiveSampler</c>), asked before Npgsql starts an activity. So an unrecorded request's statements
    /// cost no call into the sampler, and a statement without a parent (the audit writer's batches, the blob
    /// reconciler) no activity object either: OpenTelemetry creates one for every dropped root, for its trace id.
    /// </summary>
    internal static NpgsqlDataSource Build(string tunedConnectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(tunedConnectionString) { Name = Name };
        builder.ConfigureTracing(tracing => tracing
            .ConfigureCommandFilter(_ => InRecordedSpan)
            .ConfigureBatchFilter(_ => InRecordedSpan)
            .ConfigureCopyOperationFilter(_ => InRecordedSpan));
        return builder.Build();
    }

    private static bool InRecordedSpan => Activity.Current is { Recorded: true };

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
