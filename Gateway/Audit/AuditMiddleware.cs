using Microsoft.AspNetCore.Routing;
using Pacs.Gateway.Auth;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Audit;

/// <summary>
/// One audit record per recorded HTTP request (<see cref="AuditActions"/>), queued after the response: who (the
/// authenticated user, else "anonymous"), from where, which session, what, the outcome from the status code, and the
/// study, instance and patient the request names. Placed before authorization so that refused requests are recorded
/// as "denied". Never one record per frame: a multi-frame request is one request.
/// </summary>
internal sealed class AuditMiddleware(RequestDelegate next, AuditWriter writer)
{
    private const int MaxQueryLength = 1024;

    /// <summary>HttpContext.Items key of more detail an endpoint adds to its record (IReadOnlyDictionary&lt;string, string&gt;).</summary>
    public const string DetailItem = "pacs.audit.detail";

    public async Task InvokeAsync(HttpContext http)
    {
        var failed = true;
        try
        {
            await next(http).ConfigureAwait(false);
            failed = false;
        }
        finally
        {
            if (http.GetEndpoint() is RouteEndpoint endpoint && AuditActions.Of(http.Request.Method, endpoint.RoutePattern.RawText) is { } action)
            {
                writer.Record(RecordOf(http, action, failed ? StatusCodes.Status500InternalServerError : http.Response.StatusCode));
            }
        }
    }

    internal static AuditRecord RecordOf(HttpContext http, string action, int status)
    {
        var request = http.Request;
        var route = request.RouteValues;
        var query = request.Query;
        var detail = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["method"] = request.Method,
            ["path"] = Truncate(request.Path.Value ?? ""),
            ["status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (action == "query" && request.QueryString.HasValue)
        {
            detail["query"] = Truncate(request.QueryString.Value!);
        }

        if (http.Items.TryGetValue(DetailItem, out var more) && more is IReadOnlyDictionary<string, string> extra)
        {
            foreach (var (key, value) in extra)
            {
                detail[key] = Truncate(value);
            }
        }

        return new AuditRecord
        {
            Actor = http.User.UsernameOf() ?? "anonymous",
            Role = http.User.RoleOf() ?? "",
            ClientAddress = LoginEndpoints.ClientAddress(http),
            SessionId = http.User.SessionOf() ?? "",
            Action = action,
            Outcome = AuditActions.OutcomeOf(status),
            // QIDO keys by keyword or tag (PS3.18 8.3.4.1); WADO-URI's studyUID/objectUID (PS3.18 9.1.2).
            PatientId = First(query["PatientID"], query["00100020"]),
            StudyInstanceUid = route["study"] as string ?? First(query["StudyInstanceUID"], query["0020000D"], query["studyUID"]),
            SopInstanceUid = route["instance"] as string ?? First(query["SOPInstanceUID"], query["00080018"], query["objectUID"]),
            Detail = detail,
        };
    }

    private static string? First(params Microsoft.Extensions.Primitives.StringValues[] values)
    {
        foreach (var v in values)
        {
            if (v.Count > 0 && !string.IsNullOrEmpty(v[0]))
            {
                return Truncate(v[0]!);
            }
        }

        return null;
    }

    private static string Truncate(string s) => s.Length <= MaxQueryLength ? s : s[..MaxQueryLength];
}
