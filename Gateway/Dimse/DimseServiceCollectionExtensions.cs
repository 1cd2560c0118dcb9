using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Pacs.Dicom.Network;
using Pacs.Index.Read;

namespace Pacs.Gateway.Dimse;

internal static class DimseServiceCollectionExtensions
{
    /// <summary>The DIMSE SCP services, the association policy and the acceptor; the listener is added by <see cref="ListenDicom"/>.</summary>
    public static IServiceCollection AddDimseServices(this IServiceCollection services)
    {
        services.AddOptions<DimseOptions>().BindConfiguration(DimseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IndexReader>();
        services.AddSingleton<EchoScp>();
        services.AddSingleton<StoreScp>();
        services.AddSingleton<FindScp>();
        services.AddSingleton<RetrieveInstances>();
        services.AddSingleton<MoveScp>();
        services.AddSingleton<GetScp>();
        services.AddSingleton(sp =>
        {
            var dimse = sp.GetRequiredService<IOptions<DimseOptions>>().Value;
            return new AssociationLimiter(new AssociationLimits
            {
                MaxAssociations = dimse.MaxAssociations,
                MaxAssociationsPerAddress = dimse.MaxAssociationsPerAddress,
                MaxAssociationsPerCallingAe = dimse.MaxAssociationsPerCallingAe,
                MaxConcurrentRejections = dimse.MaxConcurrentRejections,
            });
        });
        services.AddSingleton(sp =>
        {
            var host = sp.GetRequiredService<IOptions<GatewayHostOptions>>().Value;
            var dimse = sp.GetRequiredService<IOptions<DimseOptions>>().Value;
            var association = new DicomAssociationOptions
            {
                MaxReceivePduLength = (uint)dimse.MaxPduLength,
                MaxSendPduLength = (uint)dimse.MaxPduLength,
                ArtimTimeout = TimeSpan.FromSeconds(dimse.ArtimTimeoutSeconds),
                IdleTimeout = TimeSpan.FromSeconds(dimse.IdleTimeoutSeconds),
                FirstRequestTimeout = TimeSpan.FromSeconds(dimse.FirstRequestTimeoutSeconds),
                DimseTimeout = TimeSpan.FromSeconds(dimse.DimseTimeoutSeconds),
            };
            var providers = new DicomServiceProviders
            {
                Echo = sp.GetRequiredService<EchoScp>(),
                Store = sp.GetRequiredService<StoreScp>(),
                Find = sp.GetRequiredService<FindScp>(),
                Move = sp.GetRequiredService<MoveScp>(),
                Get = sp.GetRequiredService<GetScp>(),
            };
            return new DicomAcceptor(association, GatewayAssociationPolicy.Create(host.AeTitle, dimse.CallingAeTitles), providers);
        });
        return services;
    }

    /// <summary>
    /// Kestrel listens on the DICOM port (PS3.8 upper layer) next to HTTP; port 0 in configuration disables it. The HTTP
    /// URLs are listened on by Pacs.Hosting's ListenConfiguredUrls (an explicit Listen makes Kestrel ignore --urls).
    /// </summary>
    public static IWebHostBuilder ListenDicom(this IWebHostBuilder webHost, GatewayHostOptions options) =>
        // A long accept queue: while a flood of connections is being accepted (and refused past the quotas), a
        // modality's SYN must not find the queue full and be dropped, which costs it a 1 s retransmission (Linux
        // caps this at net.core.somaxconn, 4096 by default).
        webHost.UseSockets(sockets => sockets.Backlog = 4096).ConfigureKestrel(kestrel =>
        {
            if (options.DicomPort == 0) return;
            kestrel.Listen(IPAddress.Parse(options.DicomBindAddress), options.DicomPort, listen => listen.UseConnectionHandler<DicomConnectionHandler>());
        });
}
