using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Cluster;

namespace Pacs.Gateway.Tests.Cluster;

/// <summary>
/// A <see cref="GrainCalls"/> with short pauses between attempts. By default it waits for an answer as long as a gateway
/// does (<see cref="GrainCallOptions.RetryFor"/>, 20 s): a test that expects an answer must get it however loaded the
/// machine is. A budget of half a second once made a CI run under heavy contention give up on a commit that was merely
/// slow, settle it as failed, and report the consequence two steps later as a wrong Duplicate (IngestConflictTests).
/// A test of a lost answer, which waits for the budget to run out, passes a short <c>retryFor</c>.
/// </summary>
internal static class GrainCallsForTests
{
    public static GrainCalls Create(SiloLossSignal? signal = null, TimeSpan? retryFor = null, TimeSpan? attemptTimeout = null) => new(
        signal ?? new SiloLossSignal(NullLogger<SiloLossSignal>.Instance),
        Options.Create(new GrainCallOptions
        {
            RetryFor = retryFor ?? new GrainCallOptions().RetryFor,
            FirstRetryPause = TimeSpan.FromMilliseconds(20),
            MaxRetryPause = TimeSpan.FromMilliseconds(50),
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(3),
        }),
        NullLogger<GrainCalls>.Instance);
}
