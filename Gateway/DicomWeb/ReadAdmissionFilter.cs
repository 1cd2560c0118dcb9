using Pacs.Gateway.Auth;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// Runs each DICOMweb read inside a slot of <see cref="ReadAdmission"/>: the handler and the writing of its answer
/// (an <see cref="IResult"/> the handler returns is executed here, inside the slot, not after it). The class comes
/// from the endpoint (<see cref="ReadClassMetadata"/>, set where the routes are mapped), and for frames and rendered
/// images from whether they open a series for the reader; the reader is the session, else the account, else the
/// peer's address.
/// </summary>
internal sealed class ReadAdmissionFilter(ReadAdmission admission) : IEndpointFilter
{
    private const string RetryAfterSeconds = "1";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            return await next(context).ConfigureAwait(false); // STOW-RS is ingest; deletes are few
        }

        var metadata = http.GetEndpoint()?.Metadata.GetMetadata<ReadClassMetadata>();
        var reader = ReaderOf(http);
        var readClass = metadata is { OpensSeries: true } && http.Request.RouteValues["series"] is string series
            ? admission.ClassOfSeriesRead(reader, series)
            : metadata?.Class ?? ReadClass.Interactive;
        using var lease = await admission.EnterAsync(readClass, reader, http.RequestAborted).ConfigureAwait(false);
        if (lease is null)
        {
            // RFC 9110 15.6.4: overloaded for now; the viewer asks again.
            http.Response.Headers.RetryAfter = RetryAfterSeconds;
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Unavailable",
                detail: "Too many reads are waiting on this gateway; try again shortly.");
        }

        var result = await next(context).ConfigureAwait(false);
        if (result is IResult answer)
        {
            await answer.ExecuteAsync(http).ConfigureAwait(false);
            return Results.Empty;
        }

        return result;
    }

    internal static string ReaderOf(HttpContext http) =>
        http.User.SessionOf() ?? http.User.UsernameOf() ?? http.Connection.RemoteIpAddress?.ToString() ?? "";
}

/// <summary>
/// The <see cref="ReadClass"/> of an endpoint, for <see cref="ReadAdmissionFilter"/>. <paramref name="OpensSeries"/>: an
/// image of the series in the route, whose first for a reader is <see cref="ReadClass.Opening"/>
/// (<see cref="ReadAdmission.ClassOfSeriesRead"/>).
/// </summary>
internal sealed record ReadClassMetadata(ReadClass Class, bool OpensSeries = false);
