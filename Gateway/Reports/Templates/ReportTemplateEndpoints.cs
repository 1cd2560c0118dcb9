using System.Security.Claims;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Pacs.Gateway.Auth;
using Pacs.Grains.Accounts;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;
using Pacs.Index.Write;

namespace Pacs.Gateway.Reports;

/// <summary>
/// /api/report-templates: GET ?lang=&amp;modality= (doctors, admins) lists the templates offered, in the language asked
/// for, else the caller's, else English; PUT /{id}?lang= (admins) adds or replaces a template of one language; DELETE
/// /{id}?lang= (admins) retires it. Changes are audited (report.template.saved, report.template.retired).
/// </summary>
internal static partial class ReportTemplateEndpoints
{
    private const int MaximumKeywords = 32;

    /// <summary>Largest body: four text fields of <see cref="ReportContent.MaximumFieldLength"/> characters, UTF-8, and the rest.</summary>
    private const long MaximumBodyBytes = 4L * ReportContent.MaximumFieldLength * 4 + 16 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapReportTemplates(this IEndpointRouteBuilder app)
    {
        var templates = app.MapGroup("/api/report-templates");
        templates.MapGet("", ListAsync).RequireAuthorization(Policies.Report);
        templates.MapPut("/{id}", SaveAsync).RequireAuthorization(Policies.Admin);
        templates.MapDelete("/{id}", RetireAsync).RequireAuthorization(Policies.Admin);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext http, ReportTemplateStore store)
    {
        if (Language(http, out var language) is { } bad)
        {
            return bad;
        }

        var modality = http.Request.Query["modality"].ToString();
        if (modality.Length > 16)
        {
            return Problem("modality is a DICOM code string of at most 16 characters.");
        }

        var stored = await store.ListAsync(language, http.RequestAborted).ConfigureAwait(false);
        return Results.Json(new { language, templates = ReportTemplates.For(language, modality.Length > 0 ? modality : null, stored) }, Json);
    }

    private static async Task<IResult> SaveAsync(string id, HttpContext http, ReportTemplateStore store, StudyIndex audit)
    {
        if (!TemplateId().IsMatch(id))
        {
            return Problem("The template id is 1-64 of a-z, 0-9 and '-'.");
        }

        if (Language(http, out var language) is { } bad)
        {
            return bad;
        }

        if (http.Request.ContentLength > MaximumBodyBytes)
        {
            return Results.Problem(title: "Payload Too Large", detail: $"The body may hold at most {MaximumBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaximumBodyBytes;
        }

        ReportTemplate? body;
        try
        {
            body = await http.Request.ReadFromJsonAsync<ReportTemplate>(Json, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            body = null;
        }

        if (body is null)
        {
            return Problem("The body must be a JSON object with id, modality, bodyPart, name, keywords, technique, comparison, findings, impression.");
        }

        var template = body with { Id = id, Modality = body.Modality.Trim().ToUpperInvariant(), Retired = false };
        if (Check(template) is { } invalid)
        {
            return Problem(invalid);
        }

        await store.SaveAsync(language, template, http.User.UsernameOf() ?? "", http.RequestAborted).ConfigureAwait(false);
        await AuditAsync(audit, "report.template.saved", http, id, language).ConfigureAwait(false);
        return Results.Json(template, Json);
    }

    private static async Task<IResult> RetireAsync(string id, HttpContext http, ReportTemplateStore store, StudyIndex audit)
    {
        if (Language(http, out var language) is { } bad)
        {
            return bad;
        }

        var stored = await store.ListAsync(language, http.RequestAborted).ConfigureAwait(false);
        if (!TemplateId().IsMatch(id) || (!ReportTemplates.Ships(id) && !stored.Any(t => t.Id == id)))
        {
            return Results.Problem(title: "Not Found", detail: "No template of that id.", statusCode: StatusCodes.Status404NotFound);
        }

        await store.RetireAsync(id, language, http.User.UsernameOf() ?? "", http.RequestAborted).ConfigureAwait(false);
        await AuditAsync(audit, "report.template.retired", http, id, language).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static string? Check(ReportTemplate t)
    {
        if (t.Modality.Length is 0 or > 16 || t.BodyPart.Length > 64 || t.Name.Trim().Length is 0 or > 128)
        {
            return "modality (1-16 characters), name (1-128) and bodyPart (at most 64) are required.";
        }

        if (t.Keywords.Count > MaximumKeywords || t.Keywords.Any(k => k.Length is 0 or > 64))
        {
            return $"keywords: at most {MaximumKeywords} words of 1-64 characters.";
        }

        return new[] { t.Technique, t.Comparison, t.Findings, t.Impression }.Any(text => text.Length > ReportContent.MaximumFieldLength)
            ? $"Each text field holds at most {ReportContent.MaximumFieldLength} characters."
            : null;
    }

    /// <summary>?lang=, else the caller's language, else English; a problem when ?lang= names no language of ours.</summary>
    private static IResult? Language(HttpContext http, out string language)
    {
        var requested = http.Request.Query["lang"].ToString();
        var preferred = http.User.FindFirstValue(PacsClaims.Language);
        language = requested.Length > 0 ? requested : Languages.IsValid(preferred) ? preferred! : Languages.Default;
        return Languages.IsValid(language) ? null : Problem($"lang must be one of {string.Join(", ", Languages.All)}.");
    }

    private static Task AuditAsync(StudyIndex audit, string kind, HttpContext http, string id, string language) =>
        audit.AuditAsync(kind, null, null, new Dictionary<string, string>
        {
            ["actor"] = http.User.UsernameOf() ?? "",
            ["template"] = id,
            ["language"] = language,
        }, http.RequestAborted);

    private static IResult Problem(string detail) =>
        Results.Problem(title: "Bad Request", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    [GeneratedRegex("^[a-z0-9-]{1,64}$")]
    private static partial Regex TemplateId();
}
