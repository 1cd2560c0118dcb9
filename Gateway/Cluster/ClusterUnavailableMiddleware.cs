namespace Pacs.Gateway.Cluster;

/// <summary>
/// Any request whose grain calls could not be answered while a silo's failure is being resolved (the silo that holds
/// the grain is unreachable, or <see cref="GrainCalls"/> gave up after its budget) is answered 503 with Retry-After
/// (RFC 9110 15.6.4, 10.2.3) and problem details, not 500: the client may ask again in a moment, when the grain has
/// been activated on a surviving silo. Nothing can be said once the response has started; the exception then goes on.
/// </summary>
internal sealed partial class ClusterUnavailableMiddleware(RequestDelegate next, ILogger<ClusterUnavailableMiddleware> logger)
{
    public const string RetryAfterSeconds = "2";

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested
            && (GrainCalls.IsSiloUnreachable(e) || e is TimeoutException or Orleans.Runtime.OrleansException))
        {
            LogUnavailable(logger, context.Request.Path, e.GetType().Name, e.Message);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
            await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Unavailable",
                detail: "The archive cluster could not answer in time; ask again shortly.").ExecuteAsync(context).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1112, Level = LogLevel.Warning, Message = "{Path}: the cluster did not answer ({Exception}: {Message}); 503")]
    private static partial void LogUnavailable(ILogger logger, string path, string exception, string message);
}
