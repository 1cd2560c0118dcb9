using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Pacs.Gateway.Auth;
using Pacs.Grains.Accounts;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;
using Pacs.Index.Write;

namespace Pacs.Gateway.Reports;

/// <summary>
/// /api/report-macros (doctors, admins; operators none): GET ?lang=&amp;scope=shared lists the caller's own macros and
/// the shared ones (scope=shared: only those); POST adds one (shared: true for admins only), PUT /{id} changes and
/// DELETE /{id} removes one: a doctor their own, an admin their own and the shared ones. Someone else's macro answers
/// 404 (it is not theirs to know of), a shared one changed by a doctor 403, a name taken 409. Changes are audited
/// (report.macro.saved, report.macro.deleted; the name, not the text).
/// </summary>
internal static partial class ReportMacroEndpoints
{
    /// <summary>Macros one account keeps; as many again may be shared.</summary>
    internal const int MaximumPerOwner = 500;

    private const long MaximumBodyBytes = ReportContent.MaximumFieldLength * 4L + 16 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapReportMacros(this IEndpointRouteBuilder app)
    {
        var macros = app.MapGroup("/api/report-macros").RequireAuthorization(Policies.Report);
        macros.MapGet("", ListAsync);
        macros.MapPost("", AddAsync);
        macros.MapPut("/{id:long}", UpdateAsync);
        macros.MapDelete("/{id:long}", DeleteAsync);
        return app;
    }

    internal sealed record MacroBody(
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("language")] string? Language,
        [property: JsonPropertyName("text")] string? Text,
        [property: JsonPropertyName("shared")] bool? Shared);

    private static async Task<IResult> ListAsync(HttpContext http, ReportMacroStore store)
    {
        var language = http.Request.Query["lang"].ToString();
        if (language.Length > 0 && !Languages.IsValid(language))
        {
            return Problem(StatusCodes.Status400BadRequest, $"lang must be one of {string.Join(", ", Languages.All)}.");
        }

        var scope = http.Request.Query["scope"].ToString();
        if (scope is not ("" or "shared"))
        {
            return Problem(StatusCodes.Status400BadRequest, "scope is shared or absent (own and shared).");
        }

        var owner = scope == "shared" ? null : Actor(http.User);
        var list = await store.ListAsync(owner, language.Length > 0 ? language : null, http.RequestAborted).ConfigureAwait(false);
        return Results.Json(new { macros = list.Select(View) }, Json);
    }

    private static async Task<IResult> AddAsync(HttpContext http, ReportMacroStore store, StudyIndex audit)
    {
        var (body, bad) = await ReadAsync(http).ConfigureAwait(false);
        if (bad is not null)
        {
            return bad;
        }

        var shared = body!.Shared ?? false;
        if (shared && !http.User.IsInRole(Roles.Admin))
        {
            return Problem(StatusCodes.Status403Forbidden, "Only an admin adds shared macros; add it as your own (shared: false).");
        }

        if (Check(body, shared ? null : Actor(http.User), 0, out var macro) is { } invalid)
        {
            return invalid;
        }

        if (await store.CountAsync(macro.Owner, http.RequestAborted).ConfigureAwait(false) >= MaximumPerOwner)
        {
            return Problem(StatusCodes.Status409Conflict, $"At most {MaximumPerOwner} macros per account (and as many shared).");
        }

        if (await store.AddAsync(macro, Actor(http.User), http.RequestAborted).ConfigureAwait(false) is not { } added)
        {
            return NameTaken(macro);
        }

        await AuditAsync(audit, "report.macro.saved", http, added).ConfigureAwait(false);
        return Results.Json(View(added), Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(long id, HttpContext http, ReportMacroStore store, StudyIndex audit)
    {
        if (await MayChangeAsync(id, http, store).ConfigureAwait(false) is not { } existing)
        {
            return await RefusalAsync(id, http, store).ConfigureAwait(false);
        }

        var (body, bad) = await ReadAsync(http).ConfigureAwait(false);
        if (bad is not null)
        {
            return bad;
        }

        if (Check(body!, existing.Owner, id, out var macro) is { } invalid)
        {
            return invalid;
        }

        var written = await store.UpdateAsync(macro, Actor(http.User), http.RequestAborted).ConfigureAwait(false);
        if (written != ReportMacroWrite.Done)
        {
            return written == ReportMacroWrite.NameTaken ? NameTaken(macro) : NotFound();
        }

        var saved = await store.GetAsync(id, http.RequestAborted).ConfigureAwait(false) ?? macro;
        await AuditAsync(audit, "report.macro.saved", http, saved).ConfigureAwait(false);
        return Results.Json(View(saved), Json);
    }

    private static async Task<IResult> DeleteAsync(long id, HttpContext http, ReportMacroStore store, StudyIndex audit)
    {
        if (await MayChangeAsync(id, http, store).ConfigureAwait(false) is not { } existing)
        {
            return await RefusalAsync(id, http, store).ConfigureAwait(false);
        }

        if (!await store.DeleteAsync(id, existing.Owner, http.RequestAborted).ConfigureAwait(false))
        {
            return NotFound();
        }

        await AuditAsync(audit, "report.macro.deleted", http, existing).ConfigureAwait(false);
        return Results.NoContent();
    }

    /// <summary>The macro <paramref name="id"/> if the caller may change it: their own, or a shared one for an admin.</summary>
    private static async Task<ReportMacro?> MayChangeAsync(long id, HttpContext http, ReportMacroStore store)
    {
        var macro = await store.GetAsync(id, http.RequestAborted).ConfigureAwait(false);
        return macro switch
        {
            { Owner: null } when http.User.IsInRole(Roles.Admin) => macro,
            { Owner: { } owner } when string.Equals(owner, Actor(http.User), StringComparison.Ordinal) => macro,
            _ => null,
        };
    }

    /// <summary>Why the caller may not change macro <paramref name="id"/>: 403 for a shared one, else 404 (another account's or none).</summary>
    private static async Task<IResult> RefusalAsync(long id, HttpContext http, ReportMacroStore store) =>
        await store.GetAsync(id, http.RequestAborted).ConfigureAwait(false) is { Owner: null }
            ? Problem(StatusCodes.Status403Forbidden, "Shared macros are changed by admins.")
            : NotFound();

    /// <summary>The macro the body describes, for <paramref name="owner"/>; or the 400 that says what is wrong.</summary>
    private static IResult? Check(MacroBody body, string? owner, long id, out ReportMacro macro)
    {
        // Typed after a slash in the panel: a leading slash in the body is tolerated; names match in lower case.
        var name = (body.Name ?? "").Trim().TrimStart('/').ToLowerInvariant();
        var language = body.Language ?? "";
        var text = body.Text ?? "";
        macro = new ReportMacro { Id = id, Owner = owner, Name = name, Language = language, Text = text };
        if (!MacroName().IsMatch(name))
        {
            return Problem(StatusCodes.Status400BadRequest, "name: 1-32 letters, digits, '-' and '_', starting with a letter or digit.");
        }

        if (!Languages.IsValid(language))
        {
            return Problem(StatusCodes.Status400BadRequest, $"language must be one of {string.Join(", ", Languages.All)}.");
        }

        return text.Trim().Length == 0 || text.Length > ReportContent.MaximumFieldLength
            ? Problem(StatusCodes.Status400BadRequest, $"text: 1 to {ReportContent.MaximumFieldLength} characters.")
            : null;
    }

    private static Task<(MacroBody? Body, IResult? Problem)> ReadAsync(HttpContext http) =>
        JsonBody.ReadAsync<MacroBody>(http, MaximumBodyBytes, Json,
            "The body must be a JSON object with name, language, text (and shared, to add).");

    private static object View(ReportMacro m) => new
    {
        id = m.Id,
        name = m.Name,
        language = m.Language,
        text = m.Text,
        shared = m.Shared,
        updatedBy = m.UpdatedBy,
        updatedAt = m.UpdatedAt,
    };

    private static Task AuditAsync(StudyIndex audit, string kind, HttpContext http, ReportMacro macro) =>
        audit.AuditAsync(kind, null, null, new Dictionary<string, string>
        {
            ["actor"] = Actor(http.User),
            ["macro"] = macro.Name,
            ["macroId"] = macro.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["language"] = macro.Language,
            ["scope"] = macro.Shared ? "shared" : "own",
        }, http.RequestAborted);

    private static string Actor(ClaimsPrincipal user) => user.UsernameOf() ?? "";

    private static IResult NameTaken(ReportMacro macro) =>
        Problem(StatusCodes.Status409Conflict, $"There is a {(macro.Shared ? "shared" : "own")} macro /{macro.Name} in {macro.Language} already.");

    private static IResult NotFound() => Problem(StatusCodes.Status404NotFound, "No macro of that id that is yours to change.");

    private static IResult Problem(int status, string detail) =>
        Results.Problem(title: Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status), detail: detail, statusCode: status);

    [GeneratedRegex(@"^[\p{L}\p{Nd}][\p{L}\p{Nd}_-]{0,31}$")]
    private static partial Regex MacroName();
}
