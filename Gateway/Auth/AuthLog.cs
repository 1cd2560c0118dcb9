namespace Pacs.Gateway.Auth;

/// <summary>The log messages of authentication (event ids 7100-7199). Never a password, a token or a patient.</summary>
internal static partial class AuthLog
{
    [LoggerMessage(EventId = 7100, Level = LogLevel.Warning, Message = "Pacs:Auth:SigningKey is not configured: tokens are signed with a key made up at start-up, which other gateways do not share and a restart forgets")]
    public static partial void EphemeralKey(ILogger logger);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Bearer token refused: {Reason}")]
    public static partial void TokenRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "Session check failed (cluster unreachable?)")]
    public static partial void SessionCheckFailed(ILogger logger, Exception exception);
}
