using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OtpNet;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// TOTP enrolment (issue 12, RFC 6238): a logged-in user enrols with their password and gets the secret once as an
/// otpauth URI, confirms it with a code their app computes (Otp.NET here), and from then on a login needs the code.
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

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string? token, string path, object body)
    {
        using var request = archive.Request(HttpMethod.Post, path, token);
        request.Content = JsonContent.Create(body);
        using var response = await (token is null ? archive.Anonymous : archive.Http).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }
}
