using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.Admin;

/// <summary>
/// /api/admin/import (admins only): imports folders of DICOM files, zip archives of them and DICOMDIR file-sets that
/// this gateway can read through the ingest funnel (<see cref="FolderImport"/>, issue 16). POST <c>{"paths": ["/abs/dir", ...], "parallelism": 4}</c> starts it (a
/// rerun of the same paths resumes); GET reports its progress and, once done, its summary. <c>./pacs import</c> does both.
/// </summary>
internal static class ImportEndpoints
{
    private const int MaxPaths = 64;

    internal sealed record ImportBody(string[]? Paths, int? Parallelism);

    public static RouteGroupBuilder MapImport(this IEndpointRouteBuilder app)
    {
        var import = app.MapGroup("/api/admin/import").RequireAuthorization(Policies.Admin);
        import.MapGet("/", (FolderImport folderImport) => TypedResults.Ok(folderImport.Progress()));
        import.MapPost("/", StartAsync);
        return import;
    }

    private static async Task<Results<Accepted<ImportProgress>, ProblemHttpResult>> StartAsync(HttpRequest request, ClaimsPrincipal user, FolderImport folderImport, CancellationToken cancellationToken)
    {
        ImportBody? body;
        try
        {
            body = await request.ReadFromJsonAsync<ImportBody>(new JsonSerializerOptions(JsonSerializerDefaults.Web), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return Invalid("The body must be a JSON object {\"paths\": [\"/absolute/folder\", ...], \"parallelism\": 4}.");
        }

        var paths = body?.Paths ?? [];
        if (paths.Length is 0 or > MaxPaths)
        {
            return Invalid($"paths holds 1 to {MaxPaths} absolute paths.");
        }

        if (body?.Parallelism is < 1 or > 64)
        {
            return Invalid("parallelism is 1 to 64.");
        }

        var full = new List<string>();
        foreach (var path in paths)
        {
            if (string.IsNullOrWhiteSpace(path) || !Path.IsPathFullyQualified(path) || !(Directory.Exists(path) || File.Exists(path)))
            {
                return Invalid($"'{path}' is not an absolute path to a folder or file this gateway can see.");
            }

            full.Add(Path.GetFullPath(path));
        }

        if (!folderImport.TryStart(full, user.Identity?.Name ?? "admin", body?.Parallelism ?? 4))
        {
            return TypedResults.Problem(title: "import running", detail: "An import is running on this gateway; GET /api/admin/import follows it.", statusCode: StatusCodes.Status409Conflict);
        }

        return TypedResults.Accepted("/api/admin/import", folderImport.Progress());
    }

    private static ProblemHttpResult Invalid(string detail) =>
        TypedResults.Problem(title: "invalid import", detail: detail, statusCode: StatusCodes.Status400BadRequest);
}
