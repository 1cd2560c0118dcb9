using Orleans.Hosting;

namespace Pacs.Grains.Persistence;

/// <summary>
/// Puts a silo's cluster membership, grain state and reminders in the archive's PostgreSQL database,
/// through Orleans' ADO.NET providers and the queries our migrations store in <c>OrleansQuery</c>.
/// The schema must be migrated (<see cref="SchemaMigrator"/>) before the silo starts.
/// </summary>
public static class ArchiveStorageSiloBuilderExtensions
{
    /// <summary>The ADO.NET invariant under which Orleans finds Npgsql.</summary>
    public const string Invariant = Pacs.Hosting.ArchiveClustering.Invariant;

    /// <summary>The grain storage provider used by grains that name none.</summary>
    public const string DefaultStorageName = "Default";

    public static ISiloBuilder UseArchiveStorage(this ISiloBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        builder.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });

        // Grain state as System.Text.Json documents rather than Orleans' binary format, so that state
        // survives grain type refactoring and can be read from psql when something goes wrong.
        builder.UseSystemTextJsonGrainStorageSerializer();
        builder.AddAdoNetGrainStorage(DefaultStorageName, options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });

        builder.UseAdoNetReminderService(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });

        // Grain calls continue the caller's trace (W3C context in the message): a gateway's C-STORE trace runs on into
        // the study grain and its PostgreSQL batch (docs/operations.md, "Observability").
        builder.AddActivityPropagation();
        return builder;
    }
}
