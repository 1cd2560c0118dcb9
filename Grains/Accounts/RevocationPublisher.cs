using Microsoft.Extensions.Logging;

namespace Pacs.Grains.Accounts;

/// <summary>
/// Tells the gateways through <see cref="IRevocationHub"/> that sessions ended. Best effort by design: the revocation
/// is already written (the session grain and its row say so), and a gateway that is not told refuses the session when
/// its cache entry expires (Pacs:Auth:SessionCacheDuration), so a failure here is logged and never fails the revocation.
/// </summary>
internal static partial class RevocationPublisher
{
    /// <summary>How long a revocation waits for the hub before carrying on without the push.</summary>
    private static readonly TimeSpan PublishBudget = TimeSpan.FromSeconds(2);

    public static async Task PublishAsync(IGrainFactory grains, IReadOnlyList<string> sessionIds, ILogger logger)
    {
        try
        {
            await grains.GetGrain<IRevocationHub>(IRevocationHub.Key).PublishAsync(sessionIds).WaitAsync(PublishBudget);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogPublishFailed(logger, sessionIds.Count, e.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 2222, Level = LogLevel.Warning,
        Message = "{Count} revoked session(s) not pushed to the gateways ({Reason}); they are refused there when the session cache entry expires")]
    private static partial void LogPublishFailed(ILogger logger, int count, string reason);
}
