using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Pacs.Gateway.Auth;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Audit;

/// <summary>
/// GET /api/audit (the trail, filtered, newest first, keyset paging), GET /api/audit/verify (the hash chain) and
/// GET /api/audit/export?from=&amp;to= (a time range as DICOM audit messages, streamed), admins only (<see cref="Policies.Admin"/>). Bad filters are problem details (RFC 9457). Reading the trail is itself
/// recorded (action "audit.read": PS3.15 A.5.3.2, Audit Log Used).
/// </summary>
internal static class AuditEndpoints
{
    private const int MaxFilterLength = 256;
    private static readonly string[] Outcomes = ["success", "denied", "failure", "error"];

    public static IServiceCollection AddAuditTrail(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SyslogOptions>().BindConfiguration(SyslogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AuditTrail>();
        // The forwarder's hosted service before the writer's: hosts stop in reverse order, so the writer's last batch
        // reaches the forwarder before it stops.
        services.AddSingleton<SyslogForwarder>();
        services.AddHostedService(sp => sp.GetRequiredService<SyslogForwarder>());
        services.AddSingleton<AuditWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());
        return services;
    }

    public static IApplicationBuilder UseAuditTrail(this IApplicationBuilder app) => app.UseMiddleware<AuditMiddleware>();

    public static IEndpointRouteBuilder MapAuditTrail(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/api/audit").RequireAuthorization(Policies.Admin);
        audit.MapGet("/", QueryAsync);
        audit.MapGet("/verify", VerifyAsync);
        audit.MapGet("/export", ExportAsync);
        audit.MapGet("/{eventKey:long}/dicom", DicomMessageAsync);
        return app;
    }

    internal sealed record Page(IReadOnlyList<AuditEvent> Items, long? Next);

    private static async Task<Results<Ok<Page>, ProblemHttpResult>> QueryAsync(HttpRequest request, AuditTrail trail, CancellationToken cancellationToken)
    {
        var q = request.Query;
        foreach (var key in q.Keys)
        {
            if (key is not ("from" or "to" or "actor" or "action" or "patientId" or "studyInstanceUid" or "outcome" or "before" or "limit"))
            {
                return Bad($"Unknown filter '{Clip(key)}': use from, to, actor, action, patientId, studyInstanceUid, outcome, before, limit.");
            }

            if (q[key].Count != 1 || (q[key][0]?.Length ?? 0) is 0 or > MaxFilterLength)
            {
                return Bad($"Filter '{key}' must be given once, with 1 to {MaxFilterLength} characters.");
            }
        }

        DateTimeOffset? from = null, to = null;
        long? before = null;
        var limit = 100;
        if (q.ContainsKey("from"))
        {
            if (!TryTime(q["from"]!, out var t))
            {
                return Bad("'from' must be an ISO 8601 date and time, e.g. 2026-01-31T00:00:00Z.");
            }

            from = t;
        }

        if (q.ContainsKey("to"))
        {
            if (!TryTime(q["to"]!, out var t))
            {
                return Bad("'to' must be an ISO 8601 date and time, e.g. 2026-01-31T00:00:00Z.");
            }

            to = t;
        }

        if (q.ContainsKey("before"))
        {
            if (!long.TryParse(q["before"], NumberStyles.None, CultureInfo.InvariantCulture, out var b) || b < 1)
            {
                return Bad("'before' must be an event key (the previous page's 'next').");
            }

            before = b;
        }

        if (q.ContainsKey("limit") && (!int.TryParse(q["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > AuditTrail.MaxPageSize))
        {
            return Bad($"'limit' must be between 1 and {AuditTrail.MaxPageSize}.");
        }

        if (q.ContainsKey("outcome") && !Outcomes.Contains(q["outcome"].ToString(), StringComparer.Ordinal))
        {
            return Bad("'outcome' must be success, denied, failure or error.");
        }

        if (from is { } f && to is { } u && u <= f)
        {
            return Bad("'to' must be after 'from'.");
        }

        var filter = new AuditFilter
        {
            From = from, To = to, Before = before, Limit = limit,
            Actor = Text(q, "actor"), Action = Text(q, "action"), PatientId = Text(q, "patientId"),
            StudyInstanceUid = Text(q, "studyInstanceUid"), Outcome = Text(q, "outcome"),
        };
        var items = await trail.QueryAsync(filter, cancellationToken).ConfigureAwait(false);
        NoStore.Apply(request.HttpContext.Response);
        return TypedResults.Ok(new Page(items, items.Count == limit ? items[^1].EventKey : null));
    }

    /// <summary>One row as a DICOM Audit Message (PS3.15 A.5), application/xml.</summary>
    private static async Task<IResult> DicomMessageAsync(long eventKey, HttpContext http, AuditTrail trail,
        Microsoft.Extensions.Options.IOptions<GatewayHostOptions> host, CancellationToken cancellationToken)
    {
        var row = await trail.GetAsync(eventKey, cancellationToken).ConfigureAwait(false);
        if (row is null)
        {
            return TypedResults.Problem(title: "no such audit event", detail: $"There is no audit event {eventKey}.", statusCode: StatusCodes.Status404NotFound);
        }

        NoStore.Apply(http.Response);
        var xml = AuditMessage.Of(row, host.Value.AeTitle);
        return Results.Text(xml.Declaration + "\n" + xml.Root, "application/xml", System.Text.Encoding.UTF8);
    }

    /// <summary>Rows read per database round trip of an export.</summary>
    internal const int ExportPageSize = 500;

    /// <summary>
    /// The rows of [from, to) in time order, each as one DICOM Audit Message (PS3.15 A.5.1) inside one
    /// &lt;AuditMessages&gt; document, written while the pages are read (<see cref="AuditTrail.RangeAsync"/>): memory is
    /// one page whatever the range. Recorded as "audit.export" (Audit Log Used, PS3.15 A.5.3.2) with the range and the
    /// rows sent. A database failure after the first bytes ends the response early (the XML then lacks its end tag).
    /// </summary>
    private static async Task ExportAsync(HttpContext http, AuditTrail trail, Microsoft.Extensions.Options.IOptions<GatewayHostOptions> host)
    {
        var q = http.Request.Query;
        DateTimeOffset from = default, to = default;
        if (q.Keys.Any(k => k is not ("from" or "to")) || q["from"].Count != 1 || q["to"].Count != 1
            || !TryTime(q["from"]!, out from) || !TryTime(q["to"]!, out to) || to <= from)
        {
            await Bad("'from' and 'to' are required once each, ISO 8601 date and time (e.g. 2026-01-31T00:00:00Z), 'to' after 'from'.")
                .ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        var cancellationToken = http.RequestAborted;
        var response = http.Response;
        NoStore.Apply(response);
        response.ContentType = "application/xml; charset=utf-8";
        response.Headers.ContentDisposition = string.Create(CultureInfo.InvariantCulture,
            $"attachment; filename=\"audit-{from.UtcDateTime:yyyyMMddTHHmmss}Z-{to.UtcDateTime:yyyyMMddTHHmmss}Z.xml\"");
        long rows = 0;
        var settings = new System.Xml.XmlWriterSettings { Async = true, Encoding = new System.Text.UTF8Encoding(false) };
        await using (var writer = System.Xml.XmlWriter.Create(response.Body, settings))
        {
            await writer.WriteStartDocumentAsync().ConfigureAwait(false);
            await writer.WriteStartElementAsync(null, "AuditMessages", null).ConfigureAwait(false);
            await writer.WriteAttributeStringAsync(null, "from", null, Iso(from)).ConfigureAwait(false);
            await writer.WriteAttributeStringAsync(null, "to", null, Iso(to)).ConfigureAwait(false);
            long after = 0;
            while (true)
            {
                var page = await trail.RangeAsync(from, to, after, ExportPageSize, cancellationToken).ConfigureAwait(false);
                foreach (var row in page)
                {
                    await AuditMessage.Of(row, host.Value.AeTitle).Root!.WriteToAsync(writer, cancellationToken).ConfigureAwait(false);
                }

                rows += page.Count;
                await writer.FlushAsync().ConfigureAwait(false);
                if (page.Count < ExportPageSize)
                {
                    break;
                }

                after = page[^1].EventKey;
            }

            await writer.WriteEndElementAsync().ConfigureAwait(false);
            await writer.WriteEndDocumentAsync().ConfigureAwait(false);
        }

        http.Items[AuditMiddleware.DetailItem] = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["from"] = Iso(from),
            ["to"] = Iso(to),
            ["rows"] = rows.ToString(CultureInfo.InvariantCulture),
        };
    }

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static async Task<IResult> VerifyAsync(HttpContext http, AuditTrail trail, CancellationToken cancellationToken)
    {
        var result = await trail.VerifyAsync(cancellationToken).ConfigureAwait(false);
        NoStore.Apply(http.Response);
        return Results.Json(new
        {
            status = result.Intact ? "OK" : "BROKEN",
            @checked = result.Checked,
            brokenSeq = result.BrokenSeq,
            brokenEventKey = result.BrokenEventKey,
            reason = result.Reason,
        });
    }

    private static string? Text(IQueryCollection q, string key) => q.TryGetValue(key, out var v) ? v.ToString() : null;

    private static bool TryTime(string value, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    private static string Clip(string s) => s.Length <= 64 ? s : s[..64];

    private static ProblemHttpResult Bad(string detail) =>
        TypedResults.Problem(title: "invalid audit filter", detail: detail, statusCode: StatusCodes.Status400BadRequest);
}
