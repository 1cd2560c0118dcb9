using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Cluster;

namespace Pacs.Gateway.Tests.Cluster;

/// <summary>A <see cref="GrainCalls"/> that gives up quickly, so that a test of a lost answer does not wait 20 s.</summary>
internal static class GrainCallsForTests
{
    public static GrainCalls Create(SiloLossSignal? signal = null, TimeSpan? retryFor = null, TimeSpan? attemptTimeout = null) => new(
        signal ?? new SiloLossSignal(NullLogger<SiloLossSignal>.Instance),
        Options.Create(new GrainCallOptions
        {
            RetryFor = retryFor ?? TimeSpan.FromMilliseconds(500),
            FirstRetryPause = TimeSpan.FromMilliseconds(20),
            MaxRetryPause = TimeSpan.FromMilliseconds(50),
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(3),
        }),
        NullLogger<GrainCalls>.Instance);
}
