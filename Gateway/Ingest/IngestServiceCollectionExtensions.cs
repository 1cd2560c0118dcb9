using Microsoft.Extensions.Options;
using Pacs.Gateway.Ingest;
using Pacs.Gateway.Storage;
using Pacs.Index;

// In the host's root namespace so that Program.cs registers ingest with one line and no using.
namespace Pacs.Gateway;

public static class IngestServiceCollectionExtensions
{
    /// <summary>
    /// The ingest funnel and what it stands on: the filesystem blob store under Pacs:StorageRoot, the blob intents,
    /// the orphan reconciler. Needs the host's NpgsqlDataSource and Orleans client.
    /// </summary>
    public static IServiceCollection AddArchiveIngest(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<BlobReconcilerOptions>().BindConfiguration(BlobReconcilerOptions.Section);
        services.AddSingleton(sp =>
        {
            var host = sp.GetRequiredService<IOptions<GatewayHostOptions>>().Value;
            return new FileBlobStore(host.StorageRoot, host.StorageDirectIo);
        });
        services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<FileBlobStore>());
        services.AddSingleton(sp => new BlobIntents(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<IBlobStore>().DeleteAsync));
        services.AddOptions<AccessGroupOptions>().BindConfiguration(AccessGroupOptions.Section);
        services.AddSingleton<AccessGroupRules>();
        services.AddSingleton<IngestActivity>();
        services.AddSingleton<IngestService>();
        services.AddSingleton<Reindexer>();
        services.AddSingleton<FolderImport>();
        services.AddSingleton(sp => new InstanceCopies(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<IBlobStore>().DeleteAsync));
        services.AddHostedService<BlobReconciler>();
        services.AddHostedService<ContentHashWarmup>();
        return services;
    }
}
