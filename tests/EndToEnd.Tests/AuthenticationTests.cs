using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Accounts, sessions and the role policies on a running gateway with real PostgreSQL and silo (issue 12): login and
/// tokens, refusals of every kind of bad credential, lockout, rate limiting, no user enumeration, revocation,
/// password change, the cookie and its same-origin check, and the endpoint × role table of docs/security.md.
/// </summary>
[Collection(ArchiveCollection.Name)]
public sealed class AuthenticationTests(ArchiveFixture archive)
{
    private static string NewName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>QIDO answers 200 with matches, 204 without: both mean the request was let in.</summary>
    private static HttpStatusCode Ok(HttpStatusCode status) => status == HttpStatusCode.NoContent ? HttpStatusCode.OK : status;

    private async Task<HttpStatusCode> StatusAsync(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var request = archive.Request(method, path, token);
        request.Content = content;
        using var response = await archive.Anonymous.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Token_AdminFromEnvironment_ReadsStudies()
    {
        var token = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, Ok(await StatusAsync(HttpMethod.Get, "/dicom-web/studies", token)));
        using var me = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, "/auth/me", token));
        var body = await me.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("admin", body.GetProperty("username").GetString());
        Assert.Equal("admin", body.GetProperty("role").GetString());
    }

    [Fact]
    public async Task Login_UnknownUserAndWrongPassword_AnswerAlike()
    {
        var name = NewName("alike");
        await archive.CreateAccountAsync(name, "doctor");
        using var unknown = await archive.Anonymous.PostAsync(archive.BaseUrl + "/auth/token", JsonContent.Create(new { username = NewName("nobody"), password = "Wrong-Password-123" }));
        using var wrong = await archive.Anonymous.PostAsync(archive.BaseUrl + "/auth/token", JsonContent.Create(new { username = name, password = "Wrong-Password-123" }));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(unknown.StatusCode, wrong.StatusCode);
        var a = await unknown.Content.ReadFromJsonAsync<JsonElement>();
        var b = await wrong.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(a.GetProperty("title").GetString(), b.GetProperty("title").GetString());
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Login_FiveFailures_LockedEvenWithTheRightPassword()
    {
        var name = NewName("locked");
        var password = await archive.CreateAccountAsync(name, "operator");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await archive.TokenAsync(name, "Wrong-Password-" + i)).Status);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await archive.TokenAsync(name, password)).Status);
        using var account = await archive.Http.GetAsync($"{archive.BaseUrl}/api/users/{name}");
        var lockedUntil = (await account.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("lockedUntil").GetDateTimeOffset();
        Assert.InRange(lockedUntil - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15.5));
    }

    [Fact]
    public async Task Login_ElevenAttemptsOnOneName_RateLimited()
    {
        // The per-account limit (10 a minute) holds for names that do not exist too: it reveals nothing.
        var name = NewName("flood");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 11; i++)
        {
            statuses.Add((await archive.TokenAsync(name, "Wrong-Password-123")).Status);
        }

        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[10]);
    }

    public static TheoryData<string> BadTokens() => ["none", "tampered", "other-key", "expired", "garbage"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task BearerToken_Bad_Unauthorized(string kind)
    {
        var good = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword);
        var parts = good.Split('.');
        var payload = JsonDocument.Parse(Base64UrlDecode(parts[1])).RootElement;
        var token = kind switch
        {
            "none" => Base64Url("""{"alg":"none","typ":"JWT"}""") + "." + parts[1] + ".",
            "tampered" => parts[0] + "." + Base64Url(Encoding.UTF8.GetString(Base64UrlDecode(parts[1])).Replace("\"admin\"", "\"admi2\"", StringComparison.Ordinal)) + "." + parts[2],
            "other-key" => Sign(parts[0], parts[1], RandomNumberGenerator.GetBytes(48)),
            "expired" => Sign(parts[0], Base64Url(JsonSerializer.Serialize(new
            {
                sub = "admin", role = "admin", sid = payload.GetProperty("sid").GetString(), groups = new[] { "*" }, lang = "en",
                iat = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds(), exp = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(),
            })), Convert.FromBase64String(archive.SigningKey)),
            _ => "not-a-token",
        };
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/dicom-web/studies", token));
        // The same forged payload signed with the real key is accepted: the refusal above was the forgery's.
        if (kind == "other-key")
        {
            Assert.Equal(HttpStatusCode.OK, Ok(await StatusAsync(HttpMethod.Get, "/dicom-web/studies", Sign(parts[0], parts[1], Convert.FromBase64String(archive.SigningKey)))));
        }
    }

    [Fact]
    public async Task Logout_Token_RefusedAfterwards()
    {
        var token = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, Ok(await StatusAsync(HttpMethod.Get, "/dicom-web/studies", token)));
        Assert.Equal(HttpStatusCode.NoContent, await StatusAsync(HttpMethod.Post, "/auth/logout", token));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/dicom-web/studies", token));
    }

    [Fact]
    public async Task DisableAccount_LiveToken_RefusedWithinTwoSeconds()
    {
        var name = NewName("disabled");
        var password = await archive.CreateAccountAsync(name, "doctor");
        var token = await archive.AccessTokenAsync(name, password);
        Assert.Equal(HttpStatusCode.OK, Ok(await StatusAsync(HttpMethod.Get, "/dicom-web/studies", token)));
        using (var patch = archive.Request(HttpMethod.Patch, "/api/users/" + name))
        {
            patch.Content = JsonContent.Create(new { enabled = false });
            using var response = await archive.Http.SendAsync(patch);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await AssertRefusedWithinAsync(token, TimeSpan.FromSeconds(2));
        Assert.Equal(HttpStatusCode.Unauthorized, (await archive.TokenAsync(name, password)).Status);
    }

    private async Task AssertRefusedWithinAsync(string token, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        HttpStatusCode status;
        do
        {
            status = await StatusAsync(HttpMethod.Get, "/dicom-web/studies", token);
            if (status == HttpStatusCode.Unauthorized)
            {
                return;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task Refresh_UsedOnce_SecondUseEndsTheSession()
    {
        var (status, first) = await archive.TokenAsync("admin", ArchiveFixture.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, status);
        var refresh = first.GetProperty("refresh_token").GetString();
        using var renewed = await archive.Anonymous.PostAsync(archive.BaseUrl + "/auth/refresh", JsonContent.Create(new { refresh_token = refresh }));
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        var second = await renewed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, Ok(await StatusAsync(HttpMethod.Get, "/dicom-web/studies", second.GetProperty("access_token").GetString())));

        using var replay = await archive.Anonymous.PostAsync(archive.BaseUrl + "/auth/refresh", JsonContent.Create(new { refresh_token = refresh }));
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        await AssertRefusedWithinAsync(second.GetProperty("access_token").GetString()!, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task ResetPassword_ForcedChange_OnlyAuthUntilChanged()
    {
        var name = NewName("reset");
        await archive.CreateAccountAsync(name, "doctor");
        const string Temporary = "Temporary-Passw0rd";
        using (var reset = archive.Request(HttpMethod.Post, $"/api/users/{name}/password"))
        {
            reset.Content = JsonContent.Create(new { password = Temporary });
            using var response = await archive.Http.SendAsync(reset);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var (status, body) = await archive.TokenAsync(name, Temporary);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("must_change_password").GetBoolean());
        var token = body.GetProperty("access_token").GetString();
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(HttpMethod.Get, "/dicom-web/studies", token));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(HttpMethod.Post, "/auth/password", token,
            JsonContent.Create(new { currentPassword = Temporary, newPassword = "short" })));
        Assert.Equal(HttpStatusCode.NoContent, await StatusAsync(HttpMethod.Post, "/auth/password", token,
            JsonContent.Create(new { currentPassword = Temporary, newPassword = "Chosen-By-The-User-42" })));
        // A password change ends every session, this one included.
        await AssertRefusedWithinAsync(token!, TimeSpan.FromSeconds(2));
        var fresh = await archive.AccessTokenAsync(name, "Chosen-By-The-User-42");
        Assert.Equal(HttpStatusCode.OK, Ok(await StatusAsync(HttpMethod.Get, "/dicom-web/studies", fresh)));
    }

    [Fact]
    public async Task Cookie_Login_HttpOnlySecureStrictAndSameOriginChecked()
    {
        using var login = await archive.Anonymous.PostAsync(archive.BaseUrl + "/auth/login",
            JsonContent.Create(new { username = "admin", password = ArchiveFixture.AdminPassword }));
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("pacs_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var session = cookie.Split(';')[0];

        using var me = archive.Request(HttpMethod.Get, "/auth/me");
        me.Headers.Add("Cookie", session);
        using (var response = await archive.Anonymous.SendAsync(me))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // A state-changing request with the cookie from another site's page: refused before it reaches the endpoint.
        using var foreign = archive.Request(HttpMethod.Delete, "/dicom-web/studies/1.2.3.999");
        foreign.Headers.Add("Cookie", session);
        foreign.Headers.Add("Origin", "http://evil.example");
        using (var response = await archive.Anonymous.SendAsync(foreign))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using var same = archive.Request(HttpMethod.Delete, "/dicom-web/studies/1.2.3.999");
        same.Headers.Add("Cookie", session);
        same.Headers.Add("Origin", archive.BaseUrl);
        using (var response = await archive.Anonymous.SendAsync(same))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("/api/nothing")]
    [InlineData("/auth/nothing")]
    [InlineData("/dicom-web/nothing")]
    [InlineData("/wadors")]
    [InlineData("/metrics")]
    [InlineData("/healthz")]
    // The Orleans dashboard's path on a gateway where it is off (OrleansDashboardTests has it on).
    [InlineData("/admin/orleans/")]
    [InlineData("/admin/orleans")]
    [InlineData("/admin/nothing")]
    public async Task UnknownApiPath_Anonymous_404ProblemNotIndexHtml(string path)
    {
        using var response = await archive.Anonymous.GetAsync(archive.BaseUrl + path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>The admin page shares its path with the /admin fallback prefix: once that tie answered every GET /admin with 500.</summary>
    [Fact]
    public async Task AdminPage_Admin_Served_Anonymous_NotServed()
    {
        using (var page = await archive.Http.GetAsync(archive.BaseUrl + "/admin?lang=en"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        }

        using var anonymous = await archive.Anonymous.GetAsync(archive.BaseUrl + "/admin");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var post = await archive.Anonymous.PostAsync(archive.BaseUrl + "/admin", new StringContent(""));
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
    }

    [Fact]
    public async Task ViewerPage_NoSession_RedirectsToLogin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, archive.BaseUrl + "/viewer?StudyInstanceUIDs=1.2.3");
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await archive.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login?returnUrl=%2Fviewer%3FStudyInstanceUIDs%3D1.2.3", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("en", "Sign in")]
    [InlineData("ru", "Войти")]
    [InlineData("es", "Entrar")]
    [InlineData("fr", "Se connecter")]
    [InlineData("de", "Anmelden")]
    public async Task LoginPage_AcceptLanguage_InThatLanguage(string language, string submit)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, archive.BaseUrl + "/login");
        request.Headers.AcceptLanguage.ParseAdd(language + ";q=0.9");
        using var response = await archive.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains($"<html lang=\"{language}\">", html, StringComparison.Ordinal);
        Assert.Contains(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(submit), html, StringComparison.Ordinal);
    }

    /// <summary>
    /// docs/security.md, "Endpoint × role": one representative request per policy, for each role and without
    /// credentials. Allowed requests may still fail for their own reasons (404 for an unknown study, 400/415 for an
    /// empty STOW body); what matters is 401 without credentials and 403 where the role may not.
    /// </summary>
    [Fact]
    public async Task RoleTable_EveryRoleAndAnonymous_AllowedOrRefusedAsDocumented()
    {
        var tokens = new Dictionary<string, string?> { ["anonymous"] = null, ["admin"] = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword) };
        foreach (var role in new[] { "doctor", "operator" })
        {
            var name = NewName(role);
            tokens[role] = await archive.AccessTokenAsync(name, await archive.CreateAccountAsync(name, role, "*"));
        }

        // (method, path, roles allowed)
        var table = new (HttpMethod Method, string Path, string[] Allowed)[]
        {
            (HttpMethod.Get, "/dicom-web/studies", ["admin", "doctor", "operator"]),
            (HttpMethod.Get, "/dicom-web/studies/1.2.3.4/metadata", ["admin", "doctor", "operator"]),
            (HttpMethod.Get, "/wado?requestType=WADO&studyUID=1.2&seriesUID=1.2.3&objectUID=1.2.3.4", ["admin", "doctor", "operator"]),
            (HttpMethod.Get, "/app-config.js", ["admin", "doctor", "operator"]),
            (HttpMethod.Post, "/dicom-web/studies", ["admin", "operator"]),
            (HttpMethod.Delete, "/dicom-web/studies/1.2.3.4", ["admin"]),
            (HttpMethod.Get, "/api/users", ["admin"]),
            (HttpMethod.Get, "/api/dicom-nodes", ["admin"]),
            (HttpMethod.Get, "/auth/me", ["admin", "doctor", "operator"]),
            // Reports (issue 14): reading is for every role, writing and export for doctors and admins (428 without If-Match).
            (HttpMethod.Get, "/api/studies/1.2.3.4/report", ["admin", "doctor", "operator"]),
            (HttpMethod.Put, "/api/studies/1.2.3.4/report", ["admin", "doctor"]),
            (HttpMethod.Post, "/api/studies/1.2.3.4/report/sign", ["admin", "doctor"]),
            (HttpMethod.Get, "/api/studies/1.2.3.4/report/pdf", ["admin", "doctor"]),
            (HttpMethod.Get, "/api/worklist", ["admin", "doctor"]),
        };
        var failures = new List<string>();
        foreach (var (method, path, allowed) in table)
        {
            foreach (var (who, token) in tokens)
            {
                var content = method == HttpMethod.Post ? new ByteArrayContent([]) : null;
                var status = await StatusAsync(method, path, token, content);
                var expected = token is null ? "401" : allowed.Contains(who) ? "allowed" : "403";
                var actual = status switch { HttpStatusCode.Unauthorized => "401", HttpStatusCode.Forbidden => "403", _ => "allowed" };
                if (expected != actual)
                {
                    failures.Add($"{who} {method} {path}: {(int)status}, expected {expected}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    private static string Base64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    private static string Sign(string header, string payload, byte[] key) =>
        header + "." + payload + "." + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(header + "." + payload))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
