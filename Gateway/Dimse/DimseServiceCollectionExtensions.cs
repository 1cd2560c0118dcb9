using Microsoft.Extensions.Options;
using Pacs.Dicom.Network;
using Pacs.Index.Read;

namespace Pacs.Gateway.Dimse;

internal static class DimseServiceCollectionExtensions
{
    /// <summary>The DIMSE SCP services, the association policy and the acceptor; the listeners are added by Transport/GatewayListeners.cs.</summary>
    public static IServiceCollection AddDimseServices(this IServiceCollection services)
    {
        services.AddOptions<DimseOptions>().BindConfiguration(DimseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IndexReader>();
        services.AddSingleton<NodeAccess>();
        services.AddSingleton<DimseAudit>();
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
            var nodePolicy = new RegisteredNodePolicy(GatewayAssociationPolicy.Create(host.AeTitle, dimse.CallingAeTitles),
                sp.GetRequiredService<NodeAccess>(), sp.GetRequiredService<ILogger<RegisteredNodePolicy>>());
            var policy = ActivatorUtilities.CreateInstance<UserIdentityPolicy>(sp, (IAssociationPolicy)nodePolicy);
            return new DicomAcceptor(association, policy, providers);
        });
        return services;
    }
}
