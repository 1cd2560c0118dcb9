using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Auth;
using Pacs.Grains.Accounts;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;
using Pacs.Index.Write;

namespace Pacs.Gateway.Reports;

/// <summary>
/// /api/studies/{study}/report: read (every role; operators see signed versions only), write the draft, mark it
/// preliminary, sign and amend (doctors, admins; each with If-Match: 428 without it, 412 when it is stale), the history,
/// the PDF (doctors, admins: an export; a preliminary report's is marked PRELIMINARY), and the record of a critical
/// finding's communication (doctors, admins), without which a report flagged critical is not signed (422). Beside them
/// the advisory editing lock, /report/lock: read by every role, taken, renewed and released by doctors and admins (an
/// admin may take it over with ?force=true); a change by anyone else while it is held answers 409 naming the holder. The PDF of a signed version is signed with the clinic's certificate (ReportSigner) and is also served as a FHIR R4
/// DiagnosticReport (/fhir). Signing and amending also store the signed PDF into the study (ReportArchive).
/// </summary>
internal static class ReportEndpoints
{
    /// <summary>Largest request body: six sections and a reason of <see cref="ReportContent.MaximumFieldLength"/> characters, UTF-8, with room for JSON.</summary>
    private const long MaximumBodyBytes = 7L * ReportContent.MaximumFieldLength * 4 + 16 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapReports(this IEndpointRouteBuilder app)
    {
        // Issue 12: a study outside the caller's access groups has no report for them, to read or to write (404, as
        // for a study that does not exist, like DICOMweb's StudyAccessFilter).
        var report = app.MapGroup("/api/studies/{study}/report").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.GetRouteValue("study") is string study && http.User.StudyGroupsOf() is { } groups
                && !await http.RequestServices.GetRequiredService<Pacs.Index.Read.IndexReader>().StudyVisibleAsync(study, groups, http.RequestAborted).ConfigureAwait(false))
            {
                return UnknownStudy();
            }

            return await next(context).ConfigureAwait(false);
        });
        report.MapGet("", GetAsync).RequireAuthorization(Policies.Read);
        report.MapPut("", PutAsync).RequireAuthorization(Policies.Report);
        report.MapPost("/preliminary", PreliminaryAsync).RequireAuthorization(Policies.Report);
        report.MapPost("/sign", SignAsync).RequireAuthorization(Policies.Report);
        report.MapPost("/amend", AmendAsync).RequireAuthorization(Policies.Report);
        report.MapPost("/critical-notification", CriticalNotificationAsync).RequireAuthorization(Policies.Report);
        report.MapGet("/lock", GetLockAsync).RequireAuthorization(Policies.Read);
        report.MapPost("/lock", AcquireLockAsync).RequireAuthorization(Policies.Report);
        report.MapDelete("/lock", ReleaseLockAsync).RequireAuthorization(Policies.Report);
        report.MapGet("/history", HistoryAsync).RequireAuthorization(Policies.Read);
        report.MapGet("/pdf", PdfAsync).RequireAuthorization(Policies.Export);
        report.MapGet("/fhir", FhirAsync).RequireAuthorization(Policies.Export);
        return app;
    }

    internal sealed record ContentBody(
        [property: JsonPropertyName("language")] string? Language,
        [property: JsonPropertyName("clinicalInformation")] string? ClinicalInformation,
        [property: JsonPropertyName("technique")] string? Technique,
        [property: JsonPropertyName("comparison")] string? Comparison,
        [property: JsonPropertyName("findings")] string? Findings,
        [property: JsonPropertyName("impression")] string? Impression,
        [property: JsonPropertyName("recommendations")] string? Recommendations,
        [property: JsonPropertyName("reason")] string? Reason,
        [property: JsonPropertyName("priority")] string? Priority,
        [property: JsonPropertyName("critical")] bool? Critical);

    internal sealed record NotificationBody(
        [property: JsonPropertyName("notified")] string? Notified,
        [property: JsonPropertyName("method")] string? Method,
        [property: JsonPropertyName("notifiedAt")] DateTimeOffset? NotifiedAt);

    private static async Task<IResult> GetAsync(string study, HttpContext http, IClusterClient cluster, ReportStore store)
    {
        if (!await store.StudyExistsAsync(study, http.RequestAborted).ConfigureAwait(false))
        {
            return UnknownStudy();
        }

        var state = await Grain(cluster, study).GetAsync().ConfigureAwait(false);
        if (!MayEdit(http.User) && !ReportStatus.IsSigned(state.Status))
        {
            return Problem(StatusCodes.Status404NotFound, "The study has no signed report.");
        }

        http.Response.Headers.ETag = state.ETag;
        return Results.Json(View(study, state), Json);
    }

    private static async Task<IResult> PutAsync(string study, HttpContext http, IClusterClient cluster)
    {
        if (IfMatch(http) is not { } ifMatch)
        {
            return PreconditionRequired();
        }

        var (body, bad) = await ReadAsync(http).ConfigureAwait(false);
        if (bad is not null)
        {
            return bad;
        }

        var result = await Grain(cluster, study).SaveDraftAsync(ifMatch, Content(body!, http.User), Actor(http.User)).ConfigureAwait(false);
        return Answer(http, study, result);
    }

    private static async Task<IResult> PreliminaryAsync(string study, HttpContext http, IClusterClient cluster)
    {
        if (IfMatch(http) is not { } ifMatch)
        {
            return PreconditionRequired();
        }

        return Answer(http, study, await Grain(cluster, study).MarkPreliminaryAsync(ifMatch, Actor(http.User)).ConfigureAwait(false));
    }

    private static async Task<IResult> CriticalNotificationAsync(string study, HttpContext http, IClusterClient cluster)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = 16 * 1024; // a name, a word and a time
        }

        NotificationBody? body;
        try
        {
            body = await http.Request.ReadFromJsonAsync<NotificationBody>(Json, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            body = null;
        }

        if (body is not { Notified: { } notified, Method: { } method })
        {
            return Problem(StatusCodes.Status400BadRequest,
                $"The body must be a JSON object with notified (who), method ({string.Join(", ", CriticalNotification.Methods)}) and optionally notifiedAt (ISO 8601; default now).");
        }

        var result = await Grain(cluster, study).RecordCriticalNotificationAsync(new CriticalNotification
        {
            Notified = notified,
            Method = method,
            NotifiedAt = body.NotifiedAt ?? DateTimeOffset.UtcNow,
            RecordedBy = Actor(http.User),
        }).ConfigureAwait(false);
        return Answer(http, study, result);
    }

    private static async Task<IResult> GetLockAsync(string study, HttpContext http, IClusterClient cluster, ReportStore store)
    {
        if (!await store.StudyExistsAsync(study, http.RequestAborted).ConfigureAwait(false))
        {
            return UnknownStudy();
        }

        var held = await Grain(cluster, study).GetLockAsync().ConfigureAwait(false);
        return Results.Json(held is null ? new { locked = false } : LockView(held, http.User), Json);
    }

    private static async Task<IResult> AcquireLockAsync(string study, HttpContext http, IClusterClient cluster, ReportStore store)
    {
        var force = http.Request.Query["force"].ToString() switch
        {
            "" or "false" => false,
            "true" => true,
            _ => (bool?)null,
        };
        if (force is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "force is true or false.");
        }

        if (force.Value && !http.User.IsInRole(Roles.Admin))
        {
            return Problem(StatusCodes.Status403Forbidden, "Only an admin may take over another user's editing lock.");
        }

        if (!await store.StudyExistsAsync(study, http.RequestAborted).ConfigureAwait(false))
        {
            return UnknownStudy();
        }

        var user = Actor(http.User);
        var displayName = http.User.FindFirstValue(PacsClaims.DisplayName) is { Length: > 0 } name ? name : user;
        var held = await Grain(cluster, study).AcquireLockAsync(user, displayName, force.Value).ConfigureAwait(false);
        return held.IsHeldBy(user) ? Results.Json(LockView(held, http.User), Json) : LockedProblem(held, $"The report is being edited by {held.HolderName} ({held.Holder}).");
    }

    private static async Task<IResult> ReleaseLockAsync(string study, HttpContext http, IClusterClient cluster)
    {
        await Grain(cluster, study).ReleaseLockAsync(Actor(http.User)).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static object LockView(ReportLock held, ClaimsPrincipal user) => new
    {
        locked = true,
        holder = held.Holder,
        holderName = held.HolderName,
        since = held.Since,
        expires = held.Expires,
        remainingMs = RemainingMs(held),
        mine = held.IsHeldBy(Actor(user)),
    };

    /// <summary>
    /// Milliseconds until the lock expires by the gateway's clock: the panel times its heartbeat (and a locked-out
    /// panel its next look) from this, not from its own clock, which may differ from the server's.
    /// </summary>
    private static long RemainingMs(ReportLock held) => Math.Max(0, (long)(held.Expires - DateTimeOffset.UtcNow).TotalMilliseconds);

    /// <summary>409 naming the lock's holder (problem details with holder, holderName, since, expires, remainingMs).</summary>
    private static IResult LockedProblem(ReportLock held, string detail) =>
        Results.Problem(title: "Conflict", detail: detail, statusCode: StatusCodes.Status409Conflict, extensions: new Dictionary<string, object?>
        {
            ["holder"] = held.Holder,
            ["holderName"] = held.HolderName,
            ["since"] = held.Since,
            ["expires"] = held.Expires,
            ["remainingMs"] = RemainingMs(held),
        });

    private static async Task<IResult> SignAsync(string study, HttpContext http, IClusterClient cluster, ReportStore store, ReportArchive archive)
    {
        if (IfMatch(http) is not { } ifMatch)
        {
            return PreconditionRequired();
        }

        var result = await Grain(cluster, study).SignAsync(ifMatch, Actor(http.User)).ConfigureAwait(false);
        return await ArchiveAndAnswerAsync(http, study, result, store, archive).ConfigureAwait(false);
    }

    private static async Task<IResult> AmendAsync(string study, HttpContext http, IClusterClient cluster, ReportStore store, ReportArchive archive)
    {
        if (IfMatch(http) is not { } ifMatch)
        {
            return PreconditionRequired();
        }

        var (body, bad) = await ReadAsync(http).ConfigureAwait(false);
        if (bad is not null)
        {
            return bad;
        }

        var result = await Grain(cluster, study).AmendAsync(ifMatch, Content(body!, http.User), body!.Reason ?? "", Actor(http.User)).ConfigureAwait(false);
        return await ArchiveAndAnswerAsync(http, study, result, store, archive).ConfigureAwait(false);
    }

    private static async Task<IResult> HistoryAsync(string study, HttpContext http, IClusterClient cluster, ReportStore store)
    {
        if (!await store.StudyExistsAsync(study, http.RequestAborted).ConfigureAwait(false))
        {
            return UnknownStudy();
        }

        var versions = await Grain(cluster, study).HistoryAsync().ConfigureAwait(false);
        var visible = MayEdit(http.User) ? versions : versions.Where(v => ReportStatus.IsSigned(v.Status)).ToList();
        return Results.Json(new { studyInstanceUid = study, versions = visible.Select(v => Version(v)) }, Json);
    }

    private static async Task<IResult> PdfAsync(string study, HttpContext http, IClusterClient cluster, ReportStore store, StudyIndex audit, ReportArchive archive)
    {
        var requested = http.Request.Query["lang"].ToString();
        if (requested.Length > 0 && !Languages.IsValid(requested))
        {
            return Problem(StatusCodes.Status400BadRequest, $"lang must be one of {string.Join(", ", Languages.All)}.");
        }

        if (await store.StudyAsync(study, http.RequestAborted).ConfigureAwait(false) is not { } header)
        {
            return UnknownStudy();
        }

        var state = await Grain(cluster, study).GetAsync().ConfigureAwait(false);
        if (state.Current is not { } version || version.Status == ReportStatus.Draft)
        {
            return Problem(StatusCodes.Status409Conflict, "Only a preliminary or signed report has a PDF.");
        }

        // The language: ?lang=, else the caller's preferred language, else English.
        var preferred = http.User.FindFirstValue(PacsClaims.Language);
        var language = requested.Length > 0 ? requested : Languages.IsValid(preferred) ? preferred! : Languages.Default;
        var pdf = await archive.RenderAsync(header, version, language).ConfigureAwait(false);
        await audit.AuditAsync("report.exported", study, null, new Dictionary<string, string>
        {
            ["actor"] = Actor(http.User),
            ["version"] = version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["format"] = "pdf",
        }, http.RequestAborted).ConfigureAwait(false);
        http.Response.Headers.ETag = state.ETag;
        return Results.File(pdf, "application/pdf", $"report-v{version.Version}-{language}.pdf");
    }

    /// <summary>The latest signed version as a FHIR R4 DiagnosticReport with its signed PDF (ReportFhir); 404 before signing.</summary>
    private static async Task<IResult> FhirAsync(string study, HttpContext http, IClusterClient cluster, ReportStore store, StudyIndex audit, ReportArchive archive)
    {
        if (await store.StudyAsync(study, http.RequestAborted).ConfigureAwait(false) is not { } header)
        {
            return UnknownStudy();
        }

        var state = await Grain(cluster, study).GetAsync().ConfigureAwait(false);
        var version = state.Current is { } current && ReportStatus.IsSigned(current.Status)
            ? current
            : (await Grain(cluster, study).HistoryAsync().ConfigureAwait(false)).LastOrDefault(v => ReportStatus.IsSigned(v.Status));
        if (version is null)
        {
            return Problem(StatusCodes.Status404NotFound, "The study has no signed report.");
        }

        var pdf = await archive.RenderAsync(header, version, version.Content.Language).ConfigureAwait(false);
        var resource = ReportFhir.DiagnosticReport(header, version, await archive.SignerNameAsync(version).ConfigureAwait(false), pdf);
        await audit.AuditAsync("report.exported", study, null, new Dictionary<string, string>
        {
            ["actor"] = Actor(http.User),
            ["version"] = version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["format"] = "fhir",
        }, http.RequestAborted).ConfigureAwait(false);
        return Results.Bytes(resource, ReportFhir.MediaType + "; charset=utf-8");
    }

    private static async Task<IResult> ArchiveAndAnswerAsync(
        HttpContext http, string study, ReportResult result, ReportStore store, ReportArchive archive)
    {
        if (!result.Succeeded || result.State.Current is not { } version)
        {
            return Answer(http, study, result);
        }

        // The report is signed whatever happens next; the archived copy is reported in the answer (null: not yet, the
        // sweep stores it later: ReportArchiveSweep).
        string? archived = null;
        if (await store.StudyAsync(study, CancellationToken.None).ConfigureAwait(false) is { } header)
        {
            archived = await archive.ArchiveAsync(header, version, Actor(http.User), CancellationToken.None).ConfigureAwait(false);
        }

        http.Response.Headers.ETag = result.State.ETag;
        return Results.Json(new { report = View(study, result.State), archivedSopInstanceUid = archived }, Json);
    }

    private static IResult Answer(HttpContext http, string study, ReportResult result)
    {
        http.Response.Headers.ETag = result.State.ETag;
        return result.Error switch
        {
            ReportError.None => Results.Json(View(study, result.State), Json),
            ReportError.PreconditionFailed => Problem(StatusCodes.Status412PreconditionFailed, result.Detail),
            ReportError.Conflict => Problem(StatusCodes.Status409Conflict, result.Detail),
            ReportError.Locked when result.Lock is { } held => LockedProblem(held, result.Detail),
            ReportError.Locked => Problem(StatusCodes.Status409Conflict, result.Detail),
            ReportError.UnknownStudy => UnknownStudy(),
            ReportError.CriticalNotificationRequired => Results.Problem(
                title: "Unprocessable Content", detail: result.Detail, statusCode: StatusCodes.Status422UnprocessableEntity,
                extensions: new Dictionary<string, object?> { ["rule"] = "critical-notification-required" }),
            _ => Problem(StatusCodes.Status400BadRequest, result.Detail),
        };
    }

    private static IReportGrain Grain(IClusterClient cluster, string study) => cluster.GetGrain<IReportGrain>(IReportGrain.KeyFor(study));

    private static bool MayEdit(ClaimsPrincipal user) => user.IsInRole(Roles.Admin) || user.IsInRole(Roles.Doctor);

    private static string Actor(ClaimsPrincipal user) => user.UsernameOf() ?? "";

    private static string? IfMatch(HttpContext http)
    {
        var value = http.Request.Headers.IfMatch.ToString().Trim();
        return value.Length == 0 ? null : value;
    }

    private static ReportContent Content(ContentBody body, ClaimsPrincipal user)
    {
        var preferred = user.FindFirstValue(PacsClaims.Language);
        return new ReportContent
        {
            Language = body.Language ?? (Languages.IsValid(preferred) ? preferred! : Languages.Default),
            ClinicalInformation = body.ClinicalInformation ?? "",
            Technique = body.Technique ?? "",
            Comparison = body.Comparison ?? "",
            Findings = body.Findings ?? "",
            Impression = body.Impression ?? "",
            Recommendations = body.Recommendations ?? "",
            Priority = body.Priority ?? ReportPriority.Routine,
            Critical = body.Critical ?? false,
        };
    }

    /// <summary>The JSON body, read with a size limit: (body, null) or (null, the problem to answer).</summary>
    private static Task<(ContentBody? Body, IResult? Problem)> ReadAsync(HttpContext http) =>
        JsonBody.ReadAsync<ContentBody>(http, MaximumBodyBytes, Json,
            "The body must be a JSON object with language, clinicalInformation, technique, comparison, findings, impression, recommendations, priority, critical (and reason to amend).");

    private static object View(string study, ReportState state) => new
    {
        studyInstanceUid = study,
        status = state.Status,
        etag = state.ETag,
        current = state.Current is { } v ? Version(v) : null,
        criticalNotifications = state.Notifications.Select(n => new
        {
            version = n.Version,
            notified = n.Notified,
            method = n.Method,
            notifiedAt = n.NotifiedAt,
            recordedBy = n.RecordedBy,
            recordedAt = n.RecordedAt,
        }),
    };

    private static object Version(ReportVersion v) => new
    {
        version = v.Version,
        status = v.Status,
        language = v.Content.Language,
        clinicalInformation = v.Content.ClinicalInformation,
        technique = v.Content.Technique,
        comparison = v.Content.Comparison,
        findings = v.Content.Findings,
        impression = v.Content.Impression,
        recommendations = v.Content.Recommendations,
        priority = v.Content.Priority,
        critical = v.Content.Critical,
        amendmentReason = v.AmendmentReason,
        author = v.Author,
        signer = v.Signer,
        createdAt = v.CreatedAt,
        updatedAt = v.UpdatedAt,
        signedAt = v.SignedAt,
    };

    private static IResult UnknownStudy() => Problem(StatusCodes.Status404NotFound, "The archive holds no such study.");

    private static IResult PreconditionRequired() =>
        Problem(StatusCodes.Status428PreconditionRequired, "If-Match with the report's current ETag (from GET) is required.");

    private static IResult Problem(int status, string detail) =>
        Results.Problem(title: Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status), detail: detail, statusCode: status);
}
