using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.Net.Http.Headers;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>
/// GET /login: the gateway's own sign-in page (plain HTML forms posting to /auth/login and /auth/password, no script),
/// in the language of the query (?lang=), else of the last account that logged in on this browser, else of the
/// browser (Accept-Language), else English.
/// </summary>
internal static class LoginPage
{
    public const string LanguageCookie = "pacs_lang";

    public static IResult Redirect(string returnUrl, string error, bool change = false) =>
        Results.Redirect($"/login?error={Uri.EscapeDataString(error)}{(change ? "&change=1" : "")}&returnUrl={Uri.EscapeDataString(returnUrl)}");

    public static IResult Render(HttpContext http, LoginPageStrings strings)
    {
        var query = http.Request.Query;
        var language = ChooseLanguage(http.Request);
        var returnUrl = LoginEndpoints.SafeReturnUrl(query["returnUrl"]);
        var change = query["change"] == "1" && http.User.Identity?.IsAuthenticated == true;
        var error = query["error"].ToString() switch
        {
            "invalid" => "error_invalid",
            "rate" => "error_rate",
            "totp" => "error_totp",
            "current" => "error_current",
            "weak" => "error_weak",
            _ => null,
        };
        string T(string key) => HtmlEncoder.Default.Encode(strings.Get(language, key));
        var target = HtmlEncoder.Default.Encode(returnUrl);

        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!doctype html>
            <html lang="{{language}}">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{T("title")}}</title>
            <style>
            body { font-family: system-ui, sans-serif; background: #090c29; color: #e0e0e0; display: flex; justify-content: center; padding-top: 12vh; margin: 0; }
            form { background: #151a3b; padding: 2rem; border-radius: 8px; width: 20rem; }
            label { display: block; margin-top: 1rem; font-size: .9rem; }
            input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; border-radius: 4px; border: 1px solid #3a3f6b; background: #0b0e24; color: #fff; }
            button { margin-top: 1.5rem; width: 100%; padding: .6rem; border: 0; border-radius: 4px; background: #5acce6; color: #000; font-weight: 600; cursor: pointer; }
            .error { color: #ff8080; margin-top: 1rem; } .hint { font-size: .8rem; color: #a0a0c0; }
            nav { margin-top: 1rem; font-size: .8rem; } nav a { color: #5acce6; margin-right: .5rem; }
            </style>
            </head>
            <body>

            """);
        if (change)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <form method="post" action="/auth/password" id="change-form">
                <h1>{T("change_heading")}</h1>
                <p class="hint">{T("change_hint")}</p>
                <label>{T("current_password")}<input type="password" name="currentPassword" autocomplete="current-password" required></label>
                <label>{T("new_password")}<input type="password" name="newPassword" autocomplete="new-password" required minlength="{PasswordPolicy.MinimumLength}"></label>
                <input type="hidden" name="returnUrl" value="{target}">

                """);
            AppendError(html, error, T);
            html.Append(CultureInfo.InvariantCulture, $"<button type=\"submit\">{T("change_submit")}</button>\n");
        }
        else
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <form method="post" action="/auth/login" id="login-form">
                <h1>{T("heading")}</h1>
                <label>{T("username")}<input type="text" name="username" autocomplete="username" required autofocus></label>
                <label>{T("password")}<input type="password" name="password" autocomplete="current-password" required></label>
                <label>{T("totp")}<input type="text" name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*"></label>
                <input type="hidden" name="returnUrl" value="{target}">

                """);
            AppendError(html, error, T);
            if (query["loggedOut"] == "1")
            {
                html.Append(CultureInfo.InvariantCulture, $"<p class=\"info\">{T("logged_out")}</p>\n");
            }

            html.Append(CultureInfo.InvariantCulture, $"<button type=\"submit\">{T("submit")}</button>\n");
        }

        html.Append(CultureInfo.InvariantCulture, $"<nav aria-label=\"{T("language")}\">");
        foreach (var other in Languages.All)
        {
            html.Append(CultureInfo.InvariantCulture, $"<a href=\"/login?lang={other}&amp;returnUrl={HtmlEncoder.Default.Encode(Uri.EscapeDataString(returnUrl))}\" hreflang=\"{other}\">{other}</a>");
        }

        html.Append("</nav>\n</form>\n</body>\n</html>\n");

        var response = http.Response;
        response.Headers.CacheControl = "no-store";
        // The page runs no script and is never framed (clickjacking of the password field).
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers[HeaderNames.ContentLanguage] = language;
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    private static void AppendError(StringBuilder html, string? errorKey, Func<string, string> text)
    {
        if (errorKey is not null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"error\" role=\"alert\">{text(errorKey)}</p>\n");
        }
    }

    internal static string ChooseLanguage(HttpRequest request)
    {
        if (Languages.IsValid(request.Query["lang"]))
        {
            return request.Query["lang"]!;
        }

        if (request.Cookies.TryGetValue(LanguageCookie, out var remembered) && Languages.IsValid(remembered))
        {
            return remembered!;
        }

        var accepted = request.GetTypedHeaders().AcceptLanguage
            .OrderByDescending(l => l.Quality ?? 1)
            .Select(l => l.Value.Value?.Split('-')[0].ToLowerInvariant())
            .FirstOrDefault(Languages.IsValid);
        return accepted ?? Languages.Default;
    }
}
