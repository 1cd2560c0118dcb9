using Microsoft.AspNetCore.Http.HttpResults;
using Pacs.Dicom;
using Pacs.Gateway.Auth;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.Ingest;
using Pacs.Gateway.Storage;
using Pacs.Index;

namespace Pacs.Gateway.Admin;

/// <summary>
/// /api/conflicts: the copies of instances kept beside the stored ones (issue 13): different bytes a sender sent for
/// a stored SOP Instance UID under the keep-first policy (kind "conflict"), and blobs a replacement superseded (kind
/// "replaced", until their retention ends). An administrator reviews them (the copy as a Part 10 file), accepts one
/// (it becomes the stored instance; the one it supersedes is kept as a "replaced" copy, so an accept can itself be
/// undone) or discards it. Admins only (policy <see cref="Auth.Policies.Admin"/>).
/// </summary>
internal static class ConflictEndpoints
{
    private const int MaxListed = 1000;

    public static RouteGroupBuilder MapConflicts(this IEndpointRouteBuilder app)
    {
        var conflicts = app.MapGroup("/api/conflicts").RequireAuthorization(Policies.Admin);
        conflicts.MapGet("/", List);
        conflicts.MapGet("/{id:long}", Get);
        conflicts.MapGet("/{id:long}/file", File);
        conflicts.MapPost("/{id:long}/accept", Accept);
        conflicts.MapDelete("/{id:long}", Discard);
        return conflicts;
    }

    private static async Task<Results<Ok<IReadOnlyList<InstanceCopy>>, ProblemHttpResult>> List(string? kind, InstanceCopies copies, CancellationToken cancellationToken)
    {
        if (kind is not (null or InstanceCopies.Conflict or InstanceCopies.Replaced))
        {
            return TypedResults.Problem(title: "invalid kind", detail: "kind is 'conflict' or 'replaced'.", statusCode: StatusCodes.Status400BadRequest);
        }

        return TypedResults.Ok(await copies.ListAsync(kind, MaxListed, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<Results<Ok<InstanceCopy>, ProblemHttpResult>> Get(long id, InstanceCopies copies, CancellationToken cancellationToken) =>
        await copies.FindAsync(id, cancellationToken).ConfigureAwait(false) is { } copy ? TypedResults.Ok(copy) : NotFound(id);

    /// <summary>The copy as a Part 10 file (meta header rebuilt, PS3.10 7.1), for review with any DICOM tool.</summary>
    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> File(long id, InstanceCopies copies, IBlobStore blobs, CancellationToken cancellationToken)
    {
        if (await copies.FindAsync(id, cancellationToken).ConfigureAwait(false) is not { } copy)
        {
            return NotFound(id);
        }

        Stream data;
        try
        {
            data = await blobs.OpenReadAsync(copy.BlobKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return BlobMissing(id);
        }

        var prefix = RetrieveResource.Part10Prefix(copy.SopClassUid, copy.SopInstanceUid, DicomTransferSyntax.Resolve(copy.TransferSyntaxUid));
        return TypedResults.Stream(async body =>
        {
            await using (data.ConfigureAwait(false))
            {
                await body.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
                await data.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
            }
        }, "application/dicom", $"copy-{id}.dcm");
    }

    private sealed record AcceptOutcome(long Id, string Status, string SopInstanceUid);

    private static async Task<Results<Ok<AcceptOutcome>, ProblemHttpResult>> Accept(long id, InstanceCopies copies, IBlobStore blobs, IngestService ingest, CancellationToken cancellationToken)
    {
        if (await copies.FindAsync(id, cancellationToken).ConfigureAwait(false) is not { } copy)
        {
            return NotFound(id);
        }

        // Through the one ingest funnel, as any store: validated again, a new blob, the grain's replace (Supersede)
        // with the superseded instance kept as a 'replaced' copy, and only then is this copy removed.
        IngestResult result;
        try
        {
            await using var data = await blobs.OpenReadAsync(copy.BlobKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            result = await ingest.StoreAsync(new IngestRequest
            {
                Source = "admin:accept",
                TransferSyntax = DicomTransferSyntax.Resolve(copy.TransferSyntaxUid),
                ExpectedSopClassUid = copy.SopClassUid,
                ExpectedSopInstanceUid = copy.SopInstanceUid,
                Supersede = true,
            }, data, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return BlobMissing(id);
        }

        if (!result.IsSuccess)
        {
            return TypedResults.Problem(title: "accept failed", detail: $"The copy could not be stored: {result.Status} {result.ErrorComment}",
                statusCode: result.Status == IngestStatus.OutOfResources ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status409Conflict);
        }

        await copies.DeleteAsync(id, "instance.copy.accepted", "admin", cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new AcceptOutcome(id, result.Status.ToString(), copy.SopInstanceUid));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Discard(long id, InstanceCopies copies, CancellationToken cancellationToken) =>
        await copies.DeleteAsync(id, "instance.copy.discarded", "admin", cancellationToken).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : NotFound(id);

    private static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem(title: "copy not found", detail: $"No kept copy with id {id}.", statusCode: StatusCodes.Status404NotFound);

    private static ProblemHttpResult BlobMissing(long id) =>
        TypedResults.Problem(title: "copy blob missing", detail: $"The blob of copy {id} is not in the blob store.", statusCode: StatusCodes.Status410Gone);
}
