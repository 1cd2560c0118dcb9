using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using Pacs.Gateway.Auth;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Reports;

/// <summary>
/// The doctor's pages: GET /worklist (the reporting worklist) and GET /reporting?study=UID (OHIF on the study in a
/// same-origin iframe, the report panel beside it), with their scripts and style under /ui/. Plain HTML and JavaScript
/// with no build step and no inline script: the texts of the page's language travel as a JSON data block (not executed,
/// so outside script-src). Why an iframe and not an OHIF extension: OHIF 3.13 is installed prebuilt from npm, and a real
/// extension needs OHIF's webpack build; the iframe leaves OHIF exactly as installed (its own CSP and the session
/// script of app-config.js still apply) and the panel is an ordinary page of ours that cannot break the viewer.
/// </summary>
internal static class ReportingPages
{
    /// <summary>Scripts and the style sheet of the pages, embedded in the assembly (Pages/*.js, *.css).</summary>
    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["worklist.js"] = (Asset("worklist.js"), "text/javascript; charset=utf-8"),
        ["reporting.js"] = (Asset("reporting.js"), "text/javascript; charset=utf-8"),
        ["reporting.css"] = (Asset("reporting.css"), "text/css; charset=utf-8"),
    };

    /// <summary>Scripts only from us; the OHIF iframe is same-origin; nothing frames these pages.</summary>
    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapReportingPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/worklist", Worklist).RequireAuthorization(Policies.Report);
        app.MapGet("/reporting", Reporting).RequireAuthorization(Policies.Read);
        app.MapGet("/ui/{name}", AssetFile).RequireAuthorization(Policies.Read);
        return app;
    }

    private static IResult Worklist(HttpContext http)
    {
        var language = LanguageOf(http);
        var strings = ReportingPageStrings.All(language);
        var body = $$"""
            <header><h1>{{E(strings["worklist_title"])}}</h1><nav>{{WorklistNav(http, strings)}}</nav></header>
            <form id="filters">
            <label>{{E(strings["filter_status"])}} <select name="status" id="filter-status">
            <option value="open" selected>{{E(strings["status_open"])}}</option><option value="">{{E(strings["status_all"])}}</option>
            <option value="none">{{E(strings["status_none"])}}</option><option value="draft">{{E(strings["status_draft"])}}</option>
            <option value="preliminary">{{E(strings["status_preliminary"])}}</option>
            <option value="final">{{E(strings["status_final"])}}</option><option value="amended">{{E(strings["status_amended"])}}</option></select></label>
            <label>{{E(strings["priority"])}} <select name="priority" id="filter-priority"><option value="" selected>{{E(strings["status_all"])}}</option>
            <option value="stat">{{E(strings["priority_stat"])}}</option><option value="urgent">{{E(strings["priority_urgent"])}}</option>
            <option value="routine">{{E(strings["priority_routine"])}}</option></select></label>
            <label>{{E(strings["filter_modality"])}} <input name="modality" id="filter-modality" maxlength="16" size="6"></label>
            <label>{{E(strings["filter_from"])}} <input type="date" name="from" id="filter-from"></label>
            <label>{{E(strings["filter_to"])}} <input type="date" name="to" id="filter-to"></label>
            <button type="submit">{{E(strings["search"])}}</button>
            </form>
            <table id="worklist"><thead><tr><th>{{E(strings["col_date"])}}</th><th>{{E(strings["col_patient"])}}</th><th>{{E(strings["col_description"])}}</th>
            <th>{{E(strings["col_modality"])}}</th><th>{{E(strings["col_accession"])}}</th><th>{{E(strings["col_status"])}}</th><th>{{E(strings["priority"])}}</th><th>{{E(strings["col_author"])}}</th></tr></thead>
            <tbody></tbody></table>
            <p id="worklist-message" role="status"></p>
            <nav id="pager"><button type="button" id="prev">{{E(strings["prev"])}}</button> <span id="page-info"></span> <button type="button" id="next">{{E(strings["next"])}}</button></nav>
            """;
        return Page(http, language, strings, strings["worklist_title"], "worklist", body, "/ui/worklist.js", new Dictionary<string, string>());
    }

    /// <summary>The worklist's links, as the admin pages' header has them: the study list, /admin (admins only), /account.</summary>
    private static string WorklistNav(HttpContext http, IReadOnlyDictionary<string, string> strings)
    {
        var admin = http.User.RoleOf() == Roles.Admin ? $"<a href=\"/admin\" id=\"to-admin\">{E(strings["administration"])}</a> " : "";
        return $"<a href=\"/\">{E(strings["study_list"])}</a> {admin}<a href=\"/account\" id=\"to-account\">{E(strings["my_account"])}</a>";
    }

    private static IResult Reporting(HttpContext http)
    {
        var study = http.Request.Query["study"].ToString();
        // PS3.5 9.1: a UID is at most 64 characters of digits and dots.
        if (study.Length is 0 or > 64 || study.Any(c => c is not (>= '0' and <= '9') and not '.'))
        {
            return Results.Problem(title: "Bad Request", detail: "study must be a Study Instance UID (PS3.5 9.1).", statusCode: StatusCodes.Status400BadRequest);
        }

        var language = LanguageOf(http);
        var strings = ReportingPageStrings.All(language);
        var body = $$"""
            <div id="layout">
            <iframe id="viewer" title="{{E(strings["viewer"])}}" src="/viewer?StudyInstanceUIDs={{E(study)}}"></iframe>
            <aside id="panel" aria-label="{{E(strings["report_title"])}}">
            <header><h1>{{E(strings["report_title"])}}</h1><nav><a href="/worklist" id="to-worklist">{{E(strings["worklist_title"])}}</a>
            <button type="button" id="next-unreported" hidden>{{E(strings["next_unreported"])}}</button></nav></header>
            <section id="study-header"></section>
            <p id="report-status" role="status"></p>
            <p id="report-editor-info"></p>
            <div id="lock-banner" role="alert" hidden><p id="lock-text"></p><button type="button" id="take-over" hidden>{{E(strings["take_over"])}}</button></div>
            <div id="conflict" role="alert" hidden><p id="conflict-text"></p>
            <button type="button" id="conflict-load">{{E(strings["load_current"])}}</button> <button type="button" id="conflict-overwrite">{{E(strings["overwrite"])}}</button></div>
            <div id="template-row" hidden><label>{{E(strings["template"])}} <select id="template"></select></label> <button type="button" id="apply-template">{{E(strings["apply_template"])}}</button></div>
            <div id="language-row" hidden><label>{{E(strings["report_language"])}} <select id="report-language">{{string.Concat(Languages.All.Select(l => $"<option value=\"{l}\">{l}</option>"))}}</select></label></div>
            <div id="priority-row" hidden><label>{{E(strings["priority"])}} <select id="priority"><option value="routine">{{E(strings["priority_routine"])}}</option>
            <option value="urgent">{{E(strings["priority_urgent"])}}</option><option value="stat">{{E(strings["priority_stat"])}}</option></select></label>
            <label><input type="checkbox" id="critical"> {{E(strings["critical"])}}</label></div>
            <section id="critical-row" hidden><h2>{{E(strings["critical_notifications"])}}</h2><ol id="notifications"></ol>
            <div id="notify-form"><label>{{E(strings["notified"])}}<input id="notified" maxlength="200"></label>
            <label>{{E(strings["notify_method"])}} <select id="notify-method"><option value="phone">{{E(strings["method_phone"])}}</option>
            <option value="in-person">{{E(strings["method_in-person"])}}</option><option value="message">{{E(strings["method_message"])}}</option></select></label>
            <label>{{E(strings["notified_at"])}} <input type="datetime-local" id="notified-at"></label>
            <button type="button" id="record-notification">{{E(strings["record_notification"])}}</button></div></section>
            <details id="macro-box" hidden><summary>{{E(strings["macros"])}}</summary>
            <p class="hint">{{E(strings["macros_hint"])}}</p>
            <ul id="macro-list"></ul>
            <form id="macro-form"><label>{{E(strings["macro_name"])}} <input id="macro-name" maxlength="33" size="12" required></label>
            <label>{{E(strings["macro_text"])}}<textarea id="macro-text" rows="2" required></textarea></label>
            <button type="submit" id="macro-save">{{E(strings["macro_save"])}}</button></form>
            <p id="macro-status" role="status"></p>
            </details>
            <div id="amend-row" hidden><label>{{E(strings["amend_reason"])}}<textarea id="amend-reason" rows="2"></textarea></label></div>
            <div id="sections">
            <label>{{E(strings["clinicalInformation"])}}<textarea id="clinicalInformation" rows="2"></textarea></label>
            <label>{{E(strings["technique"])}}<textarea id="technique" rows="3"></textarea></label>
            <label>{{E(strings["comparison"])}}<textarea id="comparison" rows="2"></textarea></label>
            <label>{{E(strings["findings"])}}<textarea id="findings" rows="8"></textarea></label>
            <label>{{E(strings["impression"])}}<textarea id="impression" rows="3"></textarea></label>
            <label>{{E(strings["recommendations"])}}<textarea id="recommendations" rows="2"></textarea></label>
            </div>
            <p id="save-status" role="status" aria-live="polite"></p>
            <div id="actions">
            <button type="button" id="preliminary" hidden>{{E(strings["mark_preliminary"])}}</button>
            <button type="button" id="sign" hidden>{{E(strings["sign"])}}</button>
            <button type="button" id="amend" hidden>{{E(strings["amend"])}}</button>
            <button type="button" id="sign-amendment" hidden>{{E(strings["sign_amendment"])}}</button>
            <a id="pdf" hidden download>{{E(strings["pdf"])}}</a>
            </div>
            <h2>{{E(strings["versions"])}}</h2>
            <ol id="versions"></ol>
            <pre id="version-view" hidden></pre>
            </aside>
            </div>
            """;
        return Page(http, language, strings, strings["report_title"], "reporting", body, "/ui/reporting.js",
            new Dictionary<string, string> { ["study"] = study });
    }

    private static IResult Page(HttpContext http, string language, IReadOnlyDictionary<string, string> strings, string title, string kind,
        string body, string script, Dictionary<string, string> data)
    {
        var user = http.User;
        data["role"] = user.RoleOf() ?? "";
        data["user"] = user.UsernameOf() ?? "";
        data["lang"] = language;
        var dataAttributes = string.Concat(data.Select(p => $" data-{p.Key}=\"{E(p.Value)}\""));
        // The default encoder escapes <, > and &, so the block cannot end the script element early.
        var json = JsonSerializer.Serialize(strings);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!doctype html>
            <html lang="{language}">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)}</title>
            <link rel="stylesheet" href="/ui/reporting.css">
            <script type="application/json" id="pacs-strings">{json}</script>
            <script src="{script}" defer></script>
            </head>
            <body class="{kind}"{dataAttributes}>
            {body}
            </body>
            </html>

            """);
        var response = http.Response;
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy = Policy;
        response.Headers.XFrameOptions = "DENY";
        response.Headers.XContentTypeOptions = "nosniff";
        // The OHIF iframe needs cross-origin isolation (SharedArrayBuffer), which a frame gets only inside an isolated page.
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers["Cross-Origin-Embedder-Policy"] = "require-corp";
        response.Headers[HeaderNames.ContentLanguage] = language;
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    private static IResult AssetFile(HttpContext http, string name)
    {
        if (!Assets.TryGetValue(name, out var asset))
        {
            return Results.Problem(title: "Not Found", detail: $"No resource at {http.Request.Path}.", statusCode: StatusCodes.Status404NotFound);
        }

        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    /// <summary>?lang=, else the account's language, else the login page's choice (cookie, Accept-Language, English).</summary>
    internal static string LanguageOf(HttpContext http)
    {
        var requested = http.Request.Query["lang"].ToString();
        if (Languages.IsValid(requested))
        {
            return requested;
        }

        var preferred = http.User.FindFirstValue(PacsClaims.Language);
        return Languages.IsValid(preferred) ? preferred! : LoginPage.ChooseLanguage(http.Request);
    }

    private static string E(string text) => HtmlEncoder.Default.Encode(text);

    private static byte[] Asset(string name)
    {
        using var stream = typeof(ReportingPages).Assembly.GetManifestResourceStream("Pacs.Gateway.Reports.Pages." + name)
            ?? throw new InvalidOperationException($"The reporting page asset '{name}' is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
