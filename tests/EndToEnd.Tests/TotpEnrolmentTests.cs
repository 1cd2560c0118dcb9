using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OtpNet;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// TOTP enrolment (issue 12, RFC 6238): a logged-in user enrols with their password and gets the secret once as an
/// otpauth URI, confirms it with a code their app computes (Otp.NET here), and from then on a login needs the code;
/// the user removes it with password and code, an admin removes it for them, both audited.
/// </summary>
[Collection(DicomWebArchiveCollection.Name)]
public sealed class TotpEnrolmentTests(ArchiveFixture archive)
{
    [Fact]
    public async Task TotpEnrolment_ConfirmedWithCode_LoginThenNeedsTheCode()
    {
        var username = "totp-" + Guid.NewGuid().ToString("N")[..8];
        var password = await archive.CreateAccountAsync(username, "doctor");
        var token = await archive.AccessTokenAsync(username, password);

        // The password is asked again: a borrowed session cannot put a second factor of its own on the account.
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(token, "/auth/totp/enrol", new { password = "Not-The-Passw0rd" })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(null, "/auth/totp/enrol", new { password })).Status);

        var (status, body) = await PostAsync(token, "/auth/totp/enrol", new { password });
        Assert.Equal(HttpStatusCode.OK, status);
        var uri = new Uri(body.GetProperty("otpauthUri").GetString()!);
        Assert.Equal("otpauth", uri.Scheme);
        Assert.Equal("totp", uri.Host);
        Assert.Equal($"/Clinton%20PACS:{username}", uri.AbsolutePath);
        var secret = System.Web.HttpUtility.ParseQueryString(uri.Query)["secret"]!;
        Assert.Equal(body.GetProperty("secret").GetString(), secret);
        var totp = new Totp(Base32Encoding.ToBytes(secret));

        // Not yet confirmed: the password alone still logs in. A wrong code does not confirm.
        Assert.Equal(HttpStatusCode.OK, (await archive.TokenAsync(username, password)).Status);
        var wrong = ((int.Parse(totp.ComputeTotp(), System.Globalization.CultureInfo.InvariantCulture) + 500_000) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(token, "/auth/totp/confirm", new { code = wrong })).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(token, "/auth/totp/confirm", new { code = totp.ComputeTotp() })).Status);

        // Confirmed: the password alone is refused with totp_required; with the app's code it logs in.
        var (withoutCode, problem) = await archive.TokenAsync(username, password);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutCode);
        Assert.True(problem.GetProperty("totp_required").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, (await archive.TokenAsync(username, password, wrong)).Status);
        Assert.Equal(HttpStatusCode.OK, (await archive.TokenAsync(username, password, totp.ComputeTotp())).Status);
    }

    [Fact]
    public async Task TotpRemoval_OwnWithPasswordAndCode_ThenByAnAdmin_BothAudited()
    {
        var username = "totp-rm-" + Guid.NewGuid().ToString("N")[..8];
        var password = await archive.CreateAccountAsync(username, "doctor");
        var token = await archive.AccessTokenAsync(username, password);
        var totp = await EnrolAsync(token, password);
        var wrong = ((int.Parse(totp.ComputeTotp(), System.Globalization.CultureInfo.InvariantCulture) + 500_000) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

        // Both the password and a current code: either wrong is 403, either missing 400; the factor stays.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Delete, token, "/auth/totp", new { password, code = wrong })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Delete, token, "/auth/totp", new { password })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await archive.TokenAsync(username, password)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, token, "/auth/totp", new { password, code = totp.ComputeTotp() })).Status);
        Assert.Equal(HttpStatusCode.OK, (await archive.TokenAsync(username, password)).Status);

        // Enrolled again (a new phone), then removed by an admin; the user may not use the admin's path.
        totp = await EnrolAsync(token, password);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Delete, token, $"/api/users/{username}/totp", null)).Status);
        var (status, account) = await SendAsync(HttpMethod.Delete, null, $"/api/users/{username}/totp", null);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(account.GetProperty("totpEnabled").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await archive.TokenAsync(username, password)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Delete, null, "/api/users/no-such-user-x/totp", null)).Status);

        // One record per request: refused (403: denied; 400: failure), then removed.
        Assert.Equal(["denied", "failure", "success"], await AuditOutcomesAsync("totp.remove", username, null, 3));
        Assert.Equal(["success"], await AuditOutcomesAsync("account.totp.remove", "admin", $"/api/users/{username}/totp", 1));
    }

    private async Task<Totp> EnrolAsync(string token, string password)
    {
        var (status, body) = await PostAsync(token, "/auth/totp/enrol", new { password });
        Assert.Equal(HttpStatusCode.OK, status);
        var totp = new Totp(Base32Encoding.ToBytes(body.GetProperty("secret").GetString()!));
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(token, "/auth/totp/confirm", new { code = totp.ComputeTotp() })).Status);
        return totp;
    }

    /// <summary>Outcomes of the audit rows of <paramref name="action"/> by <paramref name="actor"/> (on <paramref name="path"/>), once <paramref name="expected"/> are written (polled up to 15 s).</summary>
    private async Task<List<string>> AuditOutcomesAsync(string action, string actor, string? path, int expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var outcomes = new List<string>();
            await using (var connection = new Npgsql.NpgsqlConnection(archive.Database))
            {
                await connection.OpenAsync();
                await using var command = new Npgsql.NpgsqlCommand(
                    "SELECT outcome FROM pacs_audit_events WHERE kind = $1 AND actor = $2 AND ($3::text IS NULL OR detail->>'path' = $3) ORDER BY event_key", connection)
                {
                    Parameters = { new() { Value = action }, new() { Value = actor }, new() { Value = (object?)path ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } },
                };
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    outcomes.Add(reader.GetString(0));
                }
            }

            if (outcomes.Count >= expected || DateTime.UtcNow > deadline)
            {
                return outcomes;
            }

            await Task.Delay(100);
        }
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string? token, string path, object? body)
    {
        using var request = archive.Request(method, path, token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await archive.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string? token, string path, object body)
    {
        using var request = archive.Request(HttpMethod.Post, path, token);
        request.Content = JsonContent.Create(body);
        using var response = await (token is null ? archive.Anonymous : archive.Http).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }
}
