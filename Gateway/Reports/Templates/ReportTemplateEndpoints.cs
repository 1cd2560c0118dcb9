using System.Security.Claims;
using System.Text.Json;
using Pacs.Gateway.Auth;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Reports;

/// <summary>
/// GET /api/report-templates?lang=&amp;modality=: the report templates (doctors, admins), in the language asked for,
/// else the caller's, else English.
/// </summary>
internal static class ReportTemplateEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapReportTemplates(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/report-templates", List).RequireAuthorization(Policies.Report);
        return app;
    }

    private static IResult List(HttpContext http)
    {
        var query = http.Request.Query;
        var requested = query["lang"].ToString();
        if (requested.Length > 0 && !Languages.IsValid(requested))
        {
            return Problem($"lang must be one of {string.Join(", ", Languages.All)}.");
        }

        var modality = query["modality"].ToString();
        if (modality.Length > 16)
        {
            return Problem("modality is a DICOM code string of at most 16 characters.");
        }

        var preferred = http.User.FindFirstValue(PacsClaims.Language);
        var language = requested.Length > 0 ? requested : Languages.IsValid(preferred) ? preferred! : Languages.Default;
        return Results.Json(new { language, templates = ReportTemplates.For(language, modality.Length > 0 ? modality : null) }, Json);
    }

    private static IResult Problem(string detail) =>
        Results.Problem(title: "Bad Request", detail: detail, statusCode: StatusCodes.Status400BadRequest);
}
