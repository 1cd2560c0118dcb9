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
        services.AddSingleton<NodeAccess>();
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
            var policy = new RegisteredNodePolicy(GatewayAssociationPolicy.Create(host.AeTitle, dimse.CallingAeTitles),
                sp.GetRequiredService<NodeAccess>(), sp.GetRequiredService<ILogger<RegisteredNodePolicy>>());
            return new DicomAcceptor(association, policy, providers);
        });
        return services;
    }

    /// <summary>
    /// Kestrel listens on the DICOM port (PS3.8 upper layer) next to HTTP; port 0 in configuration disables it.
    /// An explicit Listen makes Kestrel ignore --urls, so the HTTP URLs are listened on here as well.
    /// </summary>
    public static IWebHostBuilder ListenDicom(this IWebHostBuilder webHost, GatewayHostOptions options, IConfiguration configuration) =>
        // A long accept queue: while a flood of connections is being accepted (and refused past the quotas), a
        // modality's SYN must not find the queue full and be dropped, which costs it a 1 s retransmission (Linux
        // caps this at net.core.somaxconn, 4096 by default).
        webHost.UseSockets(sockets => sockets.Backlog = 4096).ConfigureKestrel(kestrel =>
        {
            if (options.DicomPort == 0) return;
            kestrel.Listen(IPAddress.Parse(options.DicomBindAddress), options.DicomPort, listen => listen.UseConnectionHandler<DicomConnectionHandler>());
            var urls = configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? "http://localhost:5000";
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // "http://host:port" with host an address, localhost, or * / + / 0.0.0.0 for every interface.
                var uri = new Uri(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal));
                if (uri.Scheme != Uri.UriSchemeHttp) throw new InvalidOperationException($"Only http URLs are supported here: {url}");
                if (uri.IsLoopback && uri.Host == "localhost") kestrel.ListenLocalhost(uri.Port);
                else if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
                {
                    if (address.Equals(IPAddress.Any)) kestrel.ListenAnyIP(uri.Port);
                    else kestrel.Listen(address, uri.Port);
                }
                else kestrel.ListenAnyIP(uri.Port);
            }
        });
}
