using Orleans.Hosting;

namespace Pacs.Hosting;

/// <summary>
/// Clients (the gateways) find the silos through the membership table in the archive's PostgreSQL database, the one
/// the silos write (Grains' <c>UseArchiveStorage</c>), through Orleans' ADO.NET clustering provider.
/// </summary>
public static class ArchiveClustering
{
    /// <summary>The ADO.NET invariant under which Orleans finds Npgsql.</summary>
    public const string Invariant = "Npgsql";

    public static IClientBuilder UseArchiveClustering(this IClientBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = ArchiveDatabase.Tune(connectionString);
        });
        // Grain calls carry the caller's trace context (W3C), so the silo's spans join the gateway's trace.
        builder.AddActivityPropagation();
        return builder;
    }
}
