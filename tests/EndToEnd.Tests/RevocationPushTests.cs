using System.Net;
using System.Net.Http.Json;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Revocation across gateways (issue 12: a logout through gateway B is refused on gateway A within 2 s). The fixture's
/// gateway is B; A is a second gateway of the same archive. With A's session cache set to ten minutes, only the push
/// from the revocation hub can explain a refusal on A within 2 s; with the push turned off, the one-second cache is
/// the fallback that still refuses within 2 s.
/// </summary>
[Collection(ArchiveCollection.Name)]
public sealed class RevocationPushTests(ArchiveFixture archive)
{
    private static readonly TimeSpan Requirement = TimeSpan.FromSeconds(2);

    private static string NewName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Logout_ThroughOtherGateway_PushedToLongCacheGateway_RefusedWithinTwoSeconds()
    {
        using var gatewayA = await archive.StartGatewayAsync("--Pacs:Auth:SessionCacheDuration", "00:10:00");
        await WaitForLogAsync(gatewayA, "Subscribed to session revocations");
        var token = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword);
        // A has checked the session and trusts the answer for ten minutes from here.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gatewayA.HttpPort, HttpMethod.Get, "/auth/me", token));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gatewayA.HttpPort, HttpMethod.Get, "/auth/me", token));

        Assert.Equal(HttpStatusCode.NoContent, await StatusAsync(archive.HttpPort, HttpMethod.Post, "/auth/logout", token));

        await AssertRefusedWithinAsync(gatewayA.HttpPort, token, Requirement);
    }

    [Fact]
    public async Task DisableAccount_ThroughOtherGateway_PushedToLongCacheGateway_EverySessionRefused()
    {
        var name = NewName("pushed");
        var password = await archive.CreateAccountAsync(name, "doctor");
        using var gatewayA = await archive.StartGatewayAsync("--Pacs:Auth:SessionCacheDuration", "00:10:00");
        await WaitForLogAsync(gatewayA, "Subscribed to session revocations");
        var first = await archive.AccessTokenAsync(name, password);
        var second = await archive.AccessTokenAsync(name, password);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gatewayA.HttpPort, HttpMethod.Get, "/auth/me", first));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gatewayA.HttpPort, HttpMethod.Get, "/auth/me", second));

        using (var patch = archive.Request(HttpMethod.Patch, "/api/users/" + name))
        {
            patch.Content = JsonContent.Create(new { enabled = false });
            using var response = await archive.Http.SendAsync(patch);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The user grain publishes both sessions at once (a user's revocation, not two logouts).
        await AssertRefusedWithinAsync(gatewayA.HttpPort, first, Requirement);
        await AssertRefusedWithinAsync(gatewayA.HttpPort, second, Requirement);
    }

    [Fact]
    public async Task Logout_ThroughOtherGateway_PushOff_CacheExpiryStillRefusesWithinTwoSeconds()
    {
        // No subscription: only the default one-second cache bounds how late A sees the logout.
        using var gatewayA = await archive.StartGatewayAsync("--Pacs:Auth:RevocationRenewInterval", "00:00:00");
        await WaitForLogAsync(gatewayA, "Revocation push off");
        var token = await archive.AccessTokenAsync("admin", ArchiveFixture.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gatewayA.HttpPort, HttpMethod.Get, "/auth/me", token));

        Assert.Equal(HttpStatusCode.NoContent, await StatusAsync(archive.HttpPort, HttpMethod.Post, "/auth/logout", token));

        await AssertRefusedWithinAsync(gatewayA.HttpPort, token, Requirement);
        Assert.DoesNotContain("Subscribed to session revocations", gatewayA.Log, StringComparison.Ordinal);
    }

    private async Task<HttpStatusCode> StatusAsync(int port, HttpMethod method, string path, string token)
    {
        using var request = new HttpRequestMessage(method, $"http://127.0.0.1:{port}{path}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await archive.Anonymous.SendAsync(request);
        return response.StatusCode;
    }

    private async Task AssertRefusedWithinAsync(int port, string token, TimeSpan limit)
    {
        var started = DateTime.UtcNow;
        HttpStatusCode status;
        do
        {
            status = await StatusAsync(port, HttpMethod.Get, "/auth/me", token);
            if (status == HttpStatusCode.Unauthorized)
            {
                return;
            }

            Assert.Equal(HttpStatusCode.OK, status);
            await Task.Delay(50);
        }
        while (DateTime.UtcNow - started < limit);
        Assert.Fail($"the revoked session was still admitted {limit.TotalSeconds:0.#} s after the revocation (last status {(int)status})");
    }

    private static async Task WaitForLogAsync(ExtraGateway gateway, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!gateway.Log.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the gateway never logged \"{text}\":\n{gateway.Log}");
            await Task.Delay(100);
        }
    }
}
