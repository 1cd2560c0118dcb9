using Pacs.Gateway.Cluster;

// In the host's root namespace so that Program.cs registers it with one line and no using.
namespace Pacs.Gateway;

public static class GrainCallsServiceCollectionExtensions
{
    /// <summary>
    /// Grain calls that ride through a silo's failure (<see cref="GrainCalls"/>), and the Orleans client observer that
    /// tells them when a silo connection is lost (<see cref="SiloLossSignal"/>).
    /// </summary>
    public static IServiceCollection AddGrainCalls(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<GrainCallOptions>().BindConfiguration(GrainCallOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SiloLossSignal>();
        services.AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<SiloLossSignal>());
        services.AddSingleton<GrainCalls>();
        return services;
    }
}
