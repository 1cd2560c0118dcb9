using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Reports;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Admin;

/// <summary>
/// The account and admin pages: GET /account (every role: display name, language, password, TOTP, log out
/// everywhere) and GET /admin (admins: accounts, access groups, DICOM nodes, report templates and shared macros, audit), with their
/// scripts and style under /admin-ui/. Plain HTML and JavaScript calling the existing APIs, no inline script (the
/// texts of the page's language travel as a JSON data block, which is not executed); state changes are same-origin
/// fetches, which carry the Origin header the same-origin check wants.
/// </summary>
internal static class AdminPages
{
    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["account.js"] = (Asset("account.js"), "text/javascript; charset=utf-8"),
        ["admin.js"] = (Asset("admin.js"), "text/javascript; charset=utf-8"),
        ["admin.css"] = (Asset("admin.css"), "text/css; charset=utf-8"),
    };

    /// <summary>Scripts and styles only from us, nothing framed, nothing framing these pages.</summary>
    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapAdminPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/account", AccountAsync).RequireAuthorization(Policies.Read);
        app.MapGet("/admin", Admin).RequireAuthorization(Policies.Admin);
        app.MapGet("/admin-ui/{name}", AssetFile).RequireAuthorization(Policies.Read);
        return app;
    }

    private static async Task<IResult> AccountAsync(HttpContext http, IClusterClient cluster)
    {
        var language = LanguageOf(http);
        var s = AdminPageStrings.All(language);
        var account = await cluster.GetGrain<IUserGrain>(http.User.UsernameOf()!).GetAsync().ConfigureAwait(false);
        if (account is null)
        {
            return Results.Problem(title: "Not Found", detail: "The account of this session no longer exists.", statusCode: StatusCodes.Status404NotFound);
        }

        var body = $$"""
            <header><h1>{{E(s["account_title"])}}</h1><nav>{{Nav(http, s)}}</nav></header>
            <main>
            <section id="profile"><h2>{{E(s["profile"])}}</h2>
            <dl><dt>{{E(s["username"])}}</dt><dd id="account-username">{{E(account.Username)}}</dd>
            <dt>{{E(s["role"])}}</dt><dd id="account-role">{{E(s["role_" + account.Role])}}</dd>
            <dt>{{E(s["groups"])}}</dt><dd id="account-groups">{{E(string.Join(", ", account.Groups))}}</dd></dl>
            <form id="profile-form">
            <label>{{E(s["display_name"])}} <input name="displayName" id="display-name" maxlength="200" value="{{E(account.DisplayName)}}"></label>
            <label>{{E(s["language"])}} {{LanguageSelect("language", "profile-language", s, account.Language)}}</label>
            <button type="submit">{{E(s["save"])}}</button>
            </form>
            <p id="profile-status" role="status"></p>
            </section>
            <section id="password"><h2>{{E(s["password_title"])}}</h2>
            <form id="password-form">
            <label>{{E(s["current_password"])}} <input type="password" name="currentPassword" autocomplete="current-password" required></label>
            <label>{{E(s["new_password"])}} <input type="password" name="newPassword" autocomplete="new-password" required></label>
            <label>{{E(s["repeat_password"])}} <input type="password" name="repeatPassword" autocomplete="new-password" required></label>
            <button type="submit">{{E(s["change_password"])}}</button>
            </form>
            <p id="password-status" role="status"></p>
            </section>
            <section id="totp"><h2>{{E(s["totp_title"])}}</h2>
            <p id="totp-state">{{E(s[account.TotpEnabled ? "totp_on" : "totp_off"])}}</p>
            <form id="totp-enrol-form"{{(account.TotpEnabled ? " hidden" : "")}}>
            <label>{{E(s["current_password"])}} <input type="password" name="password" autocomplete="current-password" required></label>
            <button type="submit">{{E(s["totp_enrol"])}}</button>
            </form>
            <div id="totp-pending" hidden>
            <p>{{E(s["totp_secret"])}}: <code id="totp-secret"></code></p>
            <p>{{E(s["totp_uri"])}}: <a id="totp-uri"></a></p>
            <form id="totp-confirm-form"><label>{{E(s["totp_code"])}} <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" required></label>
            <button type="submit">{{E(s["totp_confirm"])}}</button></form>
            </div>
            <form id="totp-remove-form"{{(account.TotpEnabled ? "" : " hidden")}}>
            <label>{{E(s["current_password"])}} <input type="password" name="password" autocomplete="current-password" required></label>
            <label>{{E(s["totp_code"])}} <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" required></label>
            <button type="submit">{{E(s["totp_remove"])}}</button>
            </form>
            <p id="totp-status" role="status"></p>
            </section>
            <section id="sessions"><h2>{{E(s["sessions_title"])}}</h2>
            <button type="button" id="logout-everywhere">{{E(s["logout_everywhere"])}}</button>
            <p id="sessions-status" role="status"></p>
            </section>
            </main>
            """;
        return Page(http, language, s, s["account_title"], "account", body, "/admin-ui/account.js");
    }

    private static IResult Admin(HttpContext http)
    {
        var language = LanguageOf(http);
        var s = AdminPageStrings.All(language);
        string Th(params string[] keys) => string.Concat(keys.Select(k => $"<th>{E(s[k])}</th>"));
        var roles = string.Concat(Roles.All.Select(r => $"<option value=\"{r}\">{E(s["role_" + r])}</option>"));
        var outcomes = string.Concat(new[] { "success", "denied", "failure", "error" }.Select(o => $"<option value=\"{o}\">{E(s["outcome_" + o])}</option>"));
        var body = $$"""
            <header><h1>{{E(s["admin_title"])}}</h1><nav>{{Nav(http, s)}}</nav></header>
            <nav id="tabs" role="tablist">
            <a href="#accounts" role="tab" data-tab="accounts">{{E(s["tab_accounts"])}}</a>
            <a href="#groups" role="tab" data-tab="groups">{{E(s["tab_groups"])}}</a>
            <a href="#nodes" role="tab" data-tab="nodes">{{E(s["tab_nodes"])}}</a>
            <a href="#templates" role="tab" data-tab="templates">{{E(s["tab_templates"])}}</a>
            <a href="#audit" role="tab" data-tab="audit">{{E(s["tab_audit"])}}</a>
            </nav>
            <main>
            <section id="tab-accounts" class="tab" role="tabpanel">
            <form id="account-search" class="row"><input name="search" id="account-search-text" maxlength="64"> <button type="submit">{{E(s["search"])}}</button></form>
            <table id="account-table"><thead><tr>{{Th("username", "display_name", "role", "groups", "language", "col_status", "totp")}}</tr></thead><tbody></tbody></table>
            <nav class="pager"><button type="button" id="accounts-prev">{{E(s["prev"])}}</button> <span id="accounts-page"></span> <button type="button" id="accounts-next">{{E(s["next"])}}</button></nav>
            <div id="account-edit" hidden>
            <h2 id="account-edit-title"></h2>
            <form id="account-edit-form" class="grid">
            <label>{{E(s["display_name"])}} <input name="displayName" maxlength="200"></label>
            <label>{{E(s["email"])}} <input name="email" type="email" maxlength="320"></label>
            <label>{{E(s["role"])}} <select name="role">{{roles}}</select></label>
            <label>{{E(s["language"])}} {{LanguageSelect("language", "account-edit-language", s, Languages.Default)}}</label>
            <label>{{E(s["groups"])}} <input name="groups" placeholder="{{E(s["groups_hint"])}}"></label>
            <label class="check"><input type="checkbox" name="enabled"> {{E(s["enabled"])}}</label>
            <div><button type="submit">{{E(s["save"])}}</button>
            <button type="button" id="account-reset">{{E(s["reset_password"])}}</button>
            <button type="button" id="account-revoke">{{E(s["revoke_sessions"])}}</button>
            <button type="button" id="account-remove-totp">{{E(s["remove_totp"])}}</button></div>
            </form>
            <p id="account-edit-status" role="status"></p>
            </div>
            <h2>{{E(s["create_account"])}}</h2>
            <form id="account-create" class="grid">
            <label>{{E(s["username"])}} <input name="username" required maxlength="64"></label>
            <label>{{E(s["display_name"])}} <input name="displayName" maxlength="200"></label>
            <label>{{E(s["email"])}} <input name="email" type="email" maxlength="320"></label>
            <label>{{E(s["role"])}} <select name="role">{{roles}}</select></label>
            <label>{{E(s["language"])}} {{LanguageSelect("language", "account-create-language", s, Languages.Default)}}</label>
            <label>{{E(s["groups"])}} <input name="groups" placeholder="{{E(s["groups_hint"])}}"></label>
            <label>{{E(s["password_optional"])}} <input name="password" type="password" autocomplete="new-password"></label>
            <label class="check"><input type="checkbox" name="mustChangePassword" checked> {{E(s["must_change"])}}</label>
            <div><button type="submit">{{E(s["create"])}}</button></div>
            </form>
            <p id="account-create-status" role="status"></p>
            </section>
            <section id="tab-groups" class="tab" role="tabpanel" hidden>
            <table id="group-table"><thead><tr>{{Th("group", "studies", "accounts")}}</tr></thead><tbody></tbody></table>
            <h2>{{E(s["study_groups"])}}</h2>
            <form id="study-groups-load" class="row"><label>{{E(s["study_uid"])}} <input name="study" id="study-uid" maxlength="64" size="50" required></label> <button type="submit">{{E(s["load"])}}</button></form>
            <form id="study-groups-save" class="row" hidden><label>{{E(s["groups"])}} <input name="groups" id="study-groups" size="40"></label> <button type="submit">{{E(s["save"])}}</button></form>
            <p id="groups-status" role="status"></p>
            </section>
            <section id="tab-nodes" class="tab" role="tabpanel" hidden>
            <table id="node-table"><thead><tr>{{Th("ae_title", "host", "port", "services", "require_identity", "description")}}</tr></thead><tbody></tbody></table>
            <h2>{{E(s["node"])}}</h2>
            <form id="node-form" class="grid">
            <label>{{E(s["ae_title"])}} <input name="aeTitle" required maxlength="16"></label>
            <label>{{E(s["host"])}} <input name="host" required maxlength="253"></label>
            <label>{{E(s["port"])}} <input name="port" type="number" min="1" max="65535" required></label>
            <label>{{E(s["description"])}} <input name="description" maxlength="256"></label>
            <fieldset><legend>{{E(s["services"])}}</legend>
            <label class="check"><input type="checkbox" name="service" value="store" checked> {{E(s["service_store"])}}</label>
            <label class="check"><input type="checkbox" name="service" value="find" checked> {{E(s["service_find"])}}</label>
            <label class="check"><input type="checkbox" name="service" value="retrieve" checked> {{E(s["service_retrieve"])}}</label></fieldset>
            <label class="check"><input type="checkbox" name="requireUserIdentity"> {{E(s["require_identity"])}}</label>
            <div><button type="submit">{{E(s["save"])}}</button> <button type="button" id="node-delete">{{E(s["delete"])}}</button> <button type="button" id="node-new">{{E(s["new"])}}</button></div>
            </form>
            <p id="nodes-status" role="status"></p>
            </section>
            <section id="tab-templates" class="tab" role="tabpanel" hidden>
            <form id="template-language-form" class="row"><label>{{E(s["template_language"])}} {{LanguageSelect("lang", "template-language", s, language)}}</label></form>
            <table id="template-table"><thead><tr>{{Th("template_id", "modality", "body_part", "name")}}</tr></thead><tbody></tbody></table>
            <h2>{{E(s["template"])}}</h2>
            <form id="template-form" class="grid">
            <label>{{E(s["template_id"])}} <input name="id" required maxlength="64" pattern="[a-z0-9-]{1,64}"></label>
            <label>{{E(s["modality"])}} <input name="modality" required maxlength="16"></label>
            <label>{{E(s["body_part"])}} <input name="bodyPart" maxlength="64"></label>
            <label>{{E(s["name"])}} <input name="name" required maxlength="128"></label>
            <label>{{E(s["keywords"])}} <input name="keywords"></label>
            <label class="wide">{{E(s["technique"])}} <textarea name="technique" rows="2"></textarea></label>
            <label class="wide">{{E(s["comparison"])}} <textarea name="comparison" rows="2"></textarea></label>
            <label class="wide">{{E(s["findings"])}} <textarea name="findings" rows="4"></textarea></label>
            <label class="wide">{{E(s["impression"])}} <textarea name="impression" rows="2"></textarea></label>
            <div><button type="submit">{{E(s["save"])}}</button> <button type="button" id="template-retire">{{E(s["retire"])}}</button> <button type="button" id="template-new">{{E(s["new"])}}</button></div>
            </form>
            <p id="templates-status" role="status"></p>
            <h2>{{E(s["shared_macros"])}}</h2>
            <p class="hint">{{E(s["shared_macros_hint"])}}</p>
            <table id="macro-table" data-detail-column="1"><thead><tr>{{Th("macro_name", "macro_text")}}</tr></thead><tbody></tbody></table>
            <form id="macro-form" class="grid">
            <label>{{E(s["macro_name"])}} <input name="name" required maxlength="33"></label>
            <label class="wide">{{E(s["macro_text"])}} <textarea name="text" rows="3" required></textarea></label>
            <div><button type="submit">{{E(s["save"])}}</button> <button type="button" id="macro-delete">{{E(s["delete"])}}</button> <button type="button" id="macro-new">{{E(s["new"])}}</button></div>
            </form>
            <p id="macros-status" role="status"></p>
            </section>
            <section id="tab-audit" class="tab" role="tabpanel" hidden>
            <form id="audit-filter" class="grid">
            <label>{{E(s["from"])}} <input type="datetime-local" name="from"></label>
            <label>{{E(s["to"])}} <input type="datetime-local" name="to"></label>
            <label>{{E(s["actor"])}} <input name="actor" maxlength="256"></label>
            <label>{{E(s["action"])}} <input name="action" maxlength="256"></label>
            <label>{{E(s["patient_id"])}} <input name="patientId" maxlength="256"></label>
            <label>{{E(s["study_uid"])}} <input name="studyInstanceUid" maxlength="256"></label>
            <label>{{E(s["outcome"])}} <select name="outcome"><option value=""></option>{{outcomes}}</select></label>
            <div><button type="submit">{{E(s["filter"])}}</button> <a id="audit-export" download>{{E(s["export"])}}</a> <button type="button" id="audit-verify">{{E(s["verify"])}}</button></div>
            </form>
            <p id="audit-status" role="status"></p>
            <table id="audit-table"><thead><tr>{{Th("time", "actor", "role", "action", "outcome", "patient_id", "study_uid", "client", "detail")}}</tr></thead><tbody></tbody></table>
            <nav class="pager"><button type="button" id="audit-more">{{E(s["more"])}}</button></nav>
            </section>
            </main>
            """;
        return Page(http, language, s, s["admin_title"], "admin", body, "/admin-ui/admin.js");
    }

    private static string Nav(HttpContext http, IReadOnlyDictionary<string, string> s)
    {
        var admin = http.User.RoleOf() == Roles.Admin ? $"<a href=\"/admin\">{E(s["admin_title"])}</a> " : "";
        return $"<a href=\"/\">{E(s["study_list"])}</a> {admin}<a href=\"/account\">{E(s["account_title"])}</a> <button type=\"button\" id=\"logout\">{E(s["logout"])}</button>";
    }

    private static string LanguageSelect(string name, string id, IReadOnlyDictionary<string, string> s, string selected) =>
        $"<select name=\"{name}\" id=\"{id}\">"
        + string.Concat(Languages.All.Select(l => $"<option value=\"{l}\"{(l == selected ? " selected" : "")}>{E(s["lang_" + l])}</option>"))
        + "</select>";

    private static IResult Page(HttpContext http, string language, IReadOnlyDictionary<string, string> strings, string title, string kind, string body, string script)
    {
        var user = http.User;
        var data = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["role"] = user.RoleOf() ?? "",
            ["user"] = user.UsernameOf() ?? "",
            ["lang"] = language,
        };
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
            <link rel="stylesheet" href="/admin-ui/admin.css">
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

    private static string LanguageOf(HttpContext http) => ReportingPages.LanguageOf(http);

    private static string E(string text) => HtmlEncoder.Default.Encode(text);

    private static byte[] Asset(string name)
    {
        using var stream = typeof(AdminPages).Assembly.GetManifestResourceStream("Pacs.Gateway.Admin.Pages." + name)
            ?? throw new InvalidOperationException($"The admin page asset '{name}' is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
