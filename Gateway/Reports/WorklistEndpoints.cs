using System.Globalization;
using System.Text.Json;
using Pacs.Gateway.Auth;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;

namespace Pacs.Gateway.Reports;

/// <summary>
/// GET /api/worklist (doctors, admins): studies with their report status, priority and critical flag, critical findings
/// first, then stat, urgent, routine, then newest first, from the index by one SQL query, only the studies of the
/// caller's access groups. Filters: status (none, draft, preliminary, final, amended; open = none, draft or
/// preliminary), from / to (study date, YYYY-MM-DD), modality, priority (routine, urgent, stat); offset, limit.
/// The answer: {total, totalExact, offset, limit, items}; total is exact up to 1,000 matching studies (or the end of the
/// page asked for, if further); beyond, totalExact is false and total is that bound ("1,000+").
/// </summary>
internal static class WorklistEndpoints
{
    public const int MaximumLimit = 200;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapWorklist(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/worklist", ListAsync).RequireAuthorization(Policies.Report);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, ReportStore store)
    {
        var q = request.Query;
        var status = q["status"].ToString() is { Length: > 0 } s ? s : null;
        if (status is not null && status != WorklistQuery.Open && !ReportStatus.All.Contains(status))
        {
            return Problem($"status must be one of {string.Join(", ", ReportStatus.All)}, {WorklistQuery.Open}.");
        }

        if (!TryDate(q["from"], out var from) || !TryDate(q["to"], out var to))
        {
            return Problem("from and to are dates: YYYY-MM-DD or YYYYMMDD.");
        }

        var modality = q["modality"].ToString() is { Length: > 0 } m ? m.ToUpperInvariant() : null;
        if (modality is { Length: > 16 })
        {
            return Problem("modality is a DICOM code string of at most 16 characters.");
        }

        var priority = q["priority"].ToString() is { Length: > 0 } p ? p : null;
        if (priority is not null && !ReportPriority.IsValid(priority))
        {
            return Problem($"priority must be one of {string.Join(", ", ReportPriority.All)}.");
        }

        var offset = 0;
        var limit = 50;
        if ((q["offset"].Count > 0 && !int.TryParse(q["offset"], NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            || (q["limit"].Count > 0 && !int.TryParse(q["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out limit))
            || limit is < 1 or > MaximumLimit)
        {
            return Problem($"offset must be 0 or more and limit 1 to {MaximumLimit}.");
        }

        var page = await store.WorklistAsync(new WorklistQuery
            {
                Status = status, From = from, To = to, Modality = modality, Priority = priority, Offset = offset, Limit = limit,
                // Issue 12: the caller's access groups, in the query itself, so that neither rows nor the total leak.
                AccessGroups = request.HttpContext.User.StudyGroupsOf(),
            },
            request.HttpContext.RequestAborted).ConfigureAwait(false);
        return Results.Json(new { total = page.Total, totalExact = page.TotalExact, offset, limit, items = page.Items }, Json);
    }

    private static bool TryDate(string? text, out DateOnly? date)
    {
        date = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            date = parsed;
            return true;
        }

        return false;
    }

    private static IResult Problem(string detail) =>
        Results.Problem(title: "Bad Request", detail: detail, statusCode: StatusCodes.Status400BadRequest);
}
