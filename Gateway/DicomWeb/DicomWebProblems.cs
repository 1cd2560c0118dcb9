using Pacs.Grains;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// A DICOMweb request that cannot be answered as asked: thrown by the handlers before the response starts, turned
/// into problem details (RFC 9457) by <see cref="DicomWebProblemFilter"/>.
/// </summary>
public class DicomWebException(int statusCode, string title, string? detail = null) : Exception(detail ?? title)
{
    public int StatusCode { get; } = statusCode;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;

    public static DicomWebException NotFound(string what) => new(StatusCodes.Status404NotFound, "Not Found", what);

    public static DicomWebException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "Bad Request", detail);

    /// <summary>PS3.18 8.7.3: none of the acceptable media types or transfer syntaxes can be produced.</summary>
    public static DicomWebException NotAcceptable(string detail) => new(StatusCodes.Status406NotAcceptable, "Not Acceptable", detail);
}

/// <summary>
/// The one exception handler of the DICOMweb routes: maps only our own exception types (anything else is a bug and
/// stays a 500 from the host). When the response has already started nothing can be said any more; the connection
/// is then aborted so the client sees a truncated body, not a complete-looking one.
/// </summary>
internal sealed partial class DicomWebProblemFilter(ILogger<DicomWebProblemFilter> logger) : IEndpointFilter
{
    private const string RetryAfterSeconds = "2";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (DicomWebException e)
        {
            if (context.HttpContext.Response.HasStarted)
            {
                return Abort(context.HttpContext, e);
            }

            return Results.Problem(statusCode: e.StatusCode, title: e.Title, detail: e.Detail);
        }
        catch (ArchiveIndexException e)
        {
            LogIndexUnavailable(logger, e);
            if (context.HttpContext.Response.HasStarted)
            {
                return Abort(context.HttpContext, e);
            }
            // RFC 9110 10.2.3: the database is restarting or failing over; a client (or the viewer) may ask again
            // shortly. Every pooled connection reconnects on its next use once it is back.
            context.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Unavailable", detail: "The archive index is unavailable.");
        }
    }

    private static IResult Abort(HttpContext context, Exception _)
    {
        context.Abort();
        return Results.Empty;
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "DICOMweb: archive index unavailable")]
    private static partial void LogIndexUnavailable(ILogger logger, Exception exception);
}
