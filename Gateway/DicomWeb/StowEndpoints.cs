using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Pacs.Dicom;
using Pacs.Dicom.Json;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// STOW-RS (PS3.18 10.5): POST /dicom-web/studies[/{study}] (routes in DicomWebEndpoints) with multipart/related; type="application/dicom". Each
/// part's body streams straight into the ingest funnel (the one C-STORE uses) as it arrives, so a multi-gigabyte
/// request needs no more memory than the multipart reader's buffer and the header parser.
/// </summary>
internal static partial class StowEndpoints
{
    private const int ReadBufferSize = 64 * 1024;

    /// <summary>POST /studies and /studies/{study} (DicomWebEndpoints); <paramref name="study"/> null for the first.</summary>
    public static Task<IResult> StoreRequestAsync(HttpContext http, string? study, IngestService ingest, IOptions<DicomWebOptions> options, ILoggerFactory logs,
        CancellationToken cancellationToken) => StoreAsync(http, study, ingest, options.Value, logs, cancellationToken);

    internal static async Task<IResult> StoreAsync(HttpContext http, string? study, IngestService ingest, DicomWebOptions options, ILoggerFactory logs,
        CancellationToken cancellationToken)
    {
        // Our own limits (MaxStowRequestBytes, MaxStowInstanceBytes) replace Kestrel's default (30 MB), which would
        // cut a CT series short; they are counted as the body streams (SizeLimitedStream) and answered 413.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
        if (http.Request.ContentLength > options.MaxStowRequestBytes)
        {
            return TooLarge($"The request body ({http.Request.ContentLength} bytes) is longer than this server accepts ({options.MaxStowRequestBytes} bytes).");
        }

        var logger = logs.CreateLogger(typeof(StowEndpoints));
        if (study is not null && !DicomUids.IsValid(study))
        {
            return Results.Problem(title: "invalid study UID", detail: "The Study Instance UID in the URL is not a valid UID (PS3.5 9.1).",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var payload = StowContentType.Parse(http.Request.ContentType, out var boundary);
        switch (payload)
        {
            case StowPayload.Unsupported:
                return Results.Problem(title: "unsupported media type",
                    detail: "STOW-RS accepts multipart/related; type=\"application/dicom\" (PS3.18 10.5.1.1).",
                    statusCode: StatusCodes.Status415UnsupportedMediaType);
            case StowPayload.Malformed:
                return Results.Problem(title: "bad multipart request", detail: "multipart/related without a valid boundary parameter.",
                    statusCode: StatusCodes.Status400BadRequest);
        }

        var request = http.Request;
        var response = new StowResponse(DicomWebUris.BaseUrl(request), study);
        var source = "user:" + (http.User.Identity?.Name is { Length: > 0 } name ? name : "anonymous");
        var ingestRequest = new IngestRequest { Source = source, ExpectedStudyInstanceUid = study };

        var body = new SizeLimitedStream(request.Body, options.MaxStowRequestBytes);
        if (payload == StowPayload.Single)
        {
            var single = new SizeLimitedStream(body, Math.Min(options.MaxStowRequestBytes, options.MaxStowInstanceBytes));
            var result = await ingest.StoreAsync(ingestRequest, single, cancellationToken).ConfigureAwait(false);
            if (single.Exceeded || body.Exceeded)
            {
                return TooLarge($"The instance is longer than this server accepts ({single.Limit} bytes); nothing of it was stored.");
            }
            if (result.Status == IngestStatus.Aborted)
            {
                return Aborted(cancellationToken);
            }

            response.Add(result);
            return Respond(response);
        }

        var reader = CreateReader(boundary, body);

        // Part n+1 is read while part n is made durable and committed (the study grain batches what overlaps);
        // the outcomes are reported in the order of the parts.
        var pending = new Queue<Task<IngestResult>>();
        var parts = 0;
        while (true)
        {
            MultipartSection? section;
            try
            {
                section = await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidDataException && !cancellationToken.IsCancellationRequested)
            {
                if (body.Exceeded)
                {
                    await DrainAsync(pending, response).ConfigureAwait(false);
                    return RequestTooLarge(options, response);
                }
                LogMalformed(logger, e, parts);
                if (parts == 0)
                {
                    return Results.Problem(title: "bad multipart request", detail: "The body is not a multipart/related payload with the declared boundary.",
                        statusCode: StatusCodes.Status400BadRequest);
                }

                // What came before stands; the broken rest is one failed item.
                await DrainAsync(pending, response).ConfigureAwait(false);
                response.AddFailure(null, null, StowResponse.CannotUnderstand);
                break;
            }

            if (section is null)
            {
                break;
            }

            parts++;
            if (!StowContentType.IsDicomPart(section.ContentType))
            {
                // Drained by the next ReadNextSectionAsync.
                pending.Enqueue(Task.FromResult(new IngestResult(IngestStatus.CannotUnderstand)));
                continue;
            }

            var part = new SizeLimitedStream(section.Body, options.MaxStowInstanceBytes);
            var received = await ingest.ReceiveAsync(ingestRequest, part, cancellationToken).ConfigureAwait(false);
            if (body.Exceeded || part.Exceeded)
            {
                // The rest of the body is not read: the instances before this one stand, and the answer says so.
                await DrainAsync(pending, response).ConfigureAwait(false);
                return body.Exceeded ? RequestTooLarge(options, response)
                    : TooLarge($"Instance {parts} of the request is longer than this server accepts ({options.MaxStowInstanceBytes} bytes); "
                        + $"nothing of it was stored, {response.StoredCount} instance(s) before it were.");
            }
            if (received.Result is { Status: IngestStatus.Aborted } aborted)
            {
                await DrainAsync(pending, response).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                {
                    return Aborted(cancellationToken);
                }

                // The part ended without its closing boundary: the body is truncated.
                response.AddFailure(aborted.SopClassUid, aborted.SopInstanceUid, StowResponse.CannotUnderstand);
                break;
            }

            pending.Enqueue(ingest.CommitAsync(received));
            while (pending.Count > MaxCommitsInFlight || (pending.Count > 0 && pending.Peek().IsCompleted))
            {
                response.Add(await pending.Dequeue().ConfigureAwait(false));
            }
        }

        await DrainAsync(pending, response).ConfigureAwait(false);

        if (parts == 0)
        {
            return Results.Problem(title: "empty STOW-RS request", detail: "The multipart body holds no part.", statusCode: StatusCodes.Status400BadRequest);
        }

        LogStored(logger, response.StoredCount, response.FailedCount);
        return Respond(response);
    }

    // Instances of one request being committed while the next is read: bounded, so a fast client's request holds
    // a handful of staging files and thread-pool threads, not hundreds.
    private const int MaxCommitsInFlight = 8;

    private static async Task DrainAsync(Queue<Task<IngestResult>> pending, StowResponse response)
    {
        while (pending.Count > 0)
        {
            response.Add(await pending.Dequeue().ConfigureAwait(false));
        }
    }

    /// <summary>
    /// The multipart/related reader (RFC 2046 5.1): bounded part headers (hostile input guard), bodies streamed
    /// through a fixed buffer and never limited here.
    /// </summary>
    internal static MultipartReader CreateReader(string boundary, Stream body) => new(boundary, body, ReadBufferSize)
    {
        HeadersCountLimit = 32,
        HeadersLengthLimit = 16 * 1024,
        BodyLengthLimit = null,
    };

    private static IResult Respond(StowResponse response) => new DicomJsonResult(DicomJsonWriter.ToUtf8Bytes(response.ToDataset()), response.StatusCode);

    private sealed class DicomJsonResult(byte[] body, int statusCode) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = statusCode;
            httpContext.Response.ContentType = "application/dicom+json";
            httpContext.Response.ContentLength = body.Length;
            return httpContext.Response.Body.WriteAsync(body).AsTask();
        }
    }

    private static IResult RequestTooLarge(DicomWebOptions options, StowResponse response) =>
        TooLarge($"The request body is longer than this server accepts ({options.MaxStowRequestBytes} bytes); "
            + $"{response.StoredCount} instance(s) before the limit were stored.");

    /// <summary>RFC 9110 15.5.14 413 Content Too Large, as problem details.</summary>
    private static IResult TooLarge(string detail) =>
        Results.Problem(title: "request too large", detail: detail, statusCode: StatusCodes.Status413PayloadTooLarge);

    // The client went away: nobody reads an answer.
    private static IResult Aborted(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Results.Empty
        : Results.Problem(title: "bad request body", detail: "The request body ended before the instance did.", statusCode: StatusCodes.Status400BadRequest);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "STOW-RS: {Stored} stored, {Failed} failed")]
    private static partial void LogStored(ILogger logger, int stored, int failed);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "STOW-RS: malformed multipart body after {Parts} parts")]
    private static partial void LogMalformed(ILogger logger, Exception exception, int parts);
}
