using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Logs the fixtures' HttpClient in (POST /auth/token as the given account) before its first request and again
/// when the access token is close to expiring, so that every test gets an authenticated client by default. Requests
/// that carry their own Authorization header, and /health and /auth requests, are sent as they are.
/// </summary>
public sealed class AuthenticatingHandler(Func<string> baseUrl, string username, string password, HttpMessageHandler? inner = null)
    : DelegatingHandler(inner ?? new HttpClientHandler { AllowAutoRedirect = false })
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private string? _token;
    private DateTime _renewAt;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? "";
        if (request.Headers.Authorization is null && !path.StartsWith("/health", StringComparison.Ordinal) && !path.StartsWith("/auth/", StringComparison.Ordinal))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(cancellationToken));
        }

        return await base.SendAsync(request, cancellationToken);
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_token is null || DateTime.UtcNow >= _renewAt)
            {
                // A gateway answers 503 + Retry-After while a silo's failure is being resolved: ask again, for a while.
                var giveUpAt = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                HttpResponseMessage response;
                while (true)
                {
                    using var login = new HttpRequestMessage(HttpMethod.Post, baseUrl() + "/auth/token")
                    {
                        Content = JsonContent.Create(new { username, password }),
                    };
                    response = await base.SendAsync(login, cancellationToken);
                    if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || DateTime.UtcNow >= giveUpAt)
                    {
                        break;
                    }

                    var pause = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                    response.Dispose();
                    await Task.Delay(pause, cancellationToken);
                }

                using var _ = response;
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"login as {username} failed: {(int)response.StatusCode} {body}");
                }

                using var json = JsonDocument.Parse(body);
                _token = json.RootElement.GetProperty("access_token").GetString()!;
                // Renew well before expiry (15 minutes by default).
                _renewAt = DateTime.UtcNow + TimeSpan.FromSeconds(json.RootElement.GetProperty("expires_in").GetInt32() / 2.0);
            }

            return _token;
        }
        finally
        {
            _lock.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _lock.Dispose();
        }

        base.Dispose(disposing);
    }
}
