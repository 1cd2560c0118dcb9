using Microsoft.AspNetCore.Http.HttpResults;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.Admin;

/// <summary>
/// /api/admin/reindex (admins only): rebuilds the index from the blob store (<see cref="Reindexer"/>, issue 16).
/// POST starts it, or resumes it from its checkpoint (<c>?restart=true</c>: from the start; <c>?parallelism=N</c>:
/// study folders at once, 4 by default; <c>?verify=true</c>: every blob read whole and hashed, not its header alone);
/// GET reports its progress. <c>./pacs reindex</c> does both.
/// </summary>
internal static class ReindexEndpoints
{
    public static RouteGroupBuilder MapReindex(this IEndpointRouteBuilder app)
    {
        var reindex = app.MapGroup("/api/admin/reindex").RequireAuthorization(Policies.Admin);
        reindex.MapGet("/", (Reindexer reindexer) => TypedResults.Ok(reindexer.Progress()));
        reindex.MapPost("/", Start);
        return reindex;
    }

    private static Results<Accepted<ReindexProgress>, ProblemHttpResult> Start(Reindexer reindexer, bool? restart, int? parallelism, bool? verify)
    {
        if (parallelism is < 1 or > 64)
        {
            return TypedResults.Problem(title: "invalid parallelism", detail: "parallelism is 1 to 64.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (!reindexer.TryStart(restart ?? false, parallelism ?? 4, verify ?? false))
        {
            return TypedResults.Problem(title: "reindex running", detail: "A reindex is running on this gateway; GET /api/admin/reindex follows it.", statusCode: StatusCodes.Status409Conflict);
        }

        return TypedResults.Accepted("/api/admin/reindex", reindexer.Progress());
    }
}
