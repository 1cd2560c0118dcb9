using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace Pacs.Silo;

/// <summary>Ready when the membership protocol has declared this silo Active.</summary>
internal sealed class SiloActiveHealthCheck(ILocalSiloDetails localSilo, IClusterMembershipService membership) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(localSilo.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"{localSilo.Name} is active")
            : HealthCheckResult.Unhealthy($"{localSilo.Name} is {status}"));
    }
}
