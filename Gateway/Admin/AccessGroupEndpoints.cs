using System.Text.Json;
using System.Text.Json.Serialization;
using Pacs.Dicom;
using Pacs.Gateway.Audit;
using Pacs.Gateway.Auth;
using Pacs.Grains.Accounts;
using Pacs.Index;

namespace Pacs.Gateway.Admin;

/// <summary>
/// Access groups for admins (<see cref="Policies.Admin"/>): <c>GET /api/access-groups</c> lists every group with its
/// study and account counts (one query of the index); <c>GET</c> and <c>PUT /api/studies/{study}/access-groups
/// {groups}</c> read and replace one study's groups. A change is audited ("group.change", with the groups before and
/// after) and is in the index at once, where every search and per-study check reads it. Later ingest into the study
/// adds the groups its rules give (ingest never removes one).
/// </summary>
internal static class AccessGroupEndpoints
{
    private const int MaxGroups = 64;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    internal sealed record GroupsBody([property: JsonPropertyName("groups")] string[]? Groups);

    public static IEndpointRouteBuilder MapAccessGroups(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/access-groups", ListAsync).RequireAuthorization(Policies.Admin);
        var study = app.MapGroup("/api/studies/{study}/access-groups").RequireAuthorization(Policies.Admin);
        study.MapGet("", GetAsync);
        study.MapPut("", PutAsync);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext http, StudyAccessGroups groups)
    {
        var list = await groups.ListAsync(http.RequestAborted).ConfigureAwait(false);
        NoStore.Apply(http.Response);
        return Results.Json(new { items = list }, Json);
    }

    private static async Task<IResult> GetAsync(string study, HttpContext http, StudyAccessGroups groups)
    {
        if (!DicomUids.IsValid(study))
        {
            return BadUid();
        }

        var current = await groups.GetAsync(study, http.RequestAborted).ConfigureAwait(false);
        NoStore.Apply(http.Response);
        return current is null ? NoStudy() : Results.Json(new { studyInstanceUid = study, groups = current }, Json);
    }

    private static async Task<IResult> PutAsync(string study, HttpContext http, StudyAccessGroups groups)
    {
        if (!DicomUids.IsValid(study))
        {
            return BadUid();
        }

        GroupsBody? body = null;
        if (http.Request.ContentLength is null or <= 16 * 1024)
        {
            try
            {
                body = await http.Request.ReadFromJsonAsync<GroupsBody>(Json, http.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
            {
            }
        }

        if (body?.Groups is not { Length: >= 1 and <= MaxGroups } names || !names.All(AccessGroups.IsValidName))
        {
            return Results.Problem(title: "Bad Request",
                detail: $"The body must be {{\"groups\": [...]}} with 1 to {MaxGroups} names of 1-64 of a-z, 0-9, '-', '_', '.'.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var before = await groups.SetAsync(study, names, http.RequestAborted).ConfigureAwait(false);
        if (before is null)
        {
            return NoStudy();
        }

        var after = names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        http.Items[AuditMiddleware.DetailItem] = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["groupsBefore"] = string.Join(',', before),
            ["groupsAfter"] = string.Join(',', after),
        };
        return Results.Json(new { studyInstanceUid = study, groups = after }, Json);
    }

    private static IResult BadUid() =>
        Results.Problem(title: "Bad Request", detail: "study must be a Study Instance UID (PS3.5 9.1).", statusCode: StatusCodes.Status400BadRequest);

    private static IResult NoStudy() =>
        Results.Problem(title: "Not Found", detail: "No such study.", statusCode: StatusCodes.Status404NotFound);
}
