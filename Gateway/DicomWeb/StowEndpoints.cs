using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Pacs.Dicom.Json;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// STOW-RS (PS3.18 10.5): POST /dicom-web/studies[/{study}] with multipart/related; type="application/dicom". Each
/// part's body streams straight into the ingest funnel (the one C-STORE uses) as it arrives, so a multi-gigabyte
/// request needs no more memory than the multipart reader's buffer and the header parser.
/// </summary>
internal static partial class StowEndpoints
{
    private const int ReadBufferSize = 64 * 1024;

    public static IEndpointRouteBuilder MapStow(IEndpointRouteBuilder app)
    {
        app.MapPost("/dicom-web/studies", (HttpContext http, IngestService ingest, ILoggerFactory logs, CancellationToken ct) =>
                StoreAsync(http, null, ingest, logs, ct))
            .RequireAuthorization(Policies.Write);
        app.MapPost("/dicom-web/studies/{study}", (HttpContext http, string study, IngestService ingest, ILoggerFactory logs, CancellationToken ct) =>
                StoreAsync(http, study, ingest, logs, ct))
            .RequireAuthorization(Policies.Write);
        return app;
    }

    internal static async Task<IResult> StoreAsync(HttpContext http, string? study, IngestService ingest, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        // Instances have no size limit; Kestrel's default (30 MB) would cut a CT series short.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var logger = logs.CreateLogger(typeof(StowEndpoints));
        if (study is not null && !IngestService.IsValidUid(study))
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

        if (payload == StowPayload.Single)
        {
            var result = await ingest.StoreAsync(ingestRequest, request.Body, cancellationToken).ConfigureAwait(false);
            if (result.Status == IngestStatus.Aborted)
            {
                return Aborted(cancellationToken);
            }

            response.Add(result);
            return Respond(response);
        }

        var reader = CreateReader(boundary, request.Body);

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

            var received = await ingest.ReceiveAsync(ingestRequest, section.Body, cancellationToken).ConfigureAwait(false);
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

    // The client went away: nobody reads an answer.
    private static IResult Aborted(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Results.Empty
        : Results.Problem(title: "bad request body", detail: "The request body ended before the instance did.", statusCode: StatusCodes.Status400BadRequest);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "STOW-RS: {Stored} stored, {Failed} failed")]
    private static partial void LogStored(ILogger logger, int stored, int failed);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "STOW-RS: malformed multipart body after {Parts} parts")]
    private static partial void LogMalformed(ILogger logger, Exception exception, int parts);
}
