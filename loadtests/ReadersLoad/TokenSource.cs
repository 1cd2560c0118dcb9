using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pacs.Loadtests.ReadersLoad;

/// <summary>
/// A bearer token from the gateway's login (POST /auth/token with username and password, docs/security.md), renewed
/// at half its lifetime; one per reader (every gateway of a cluster accepts every gateway's tokens). Null
/// credentials: no Authorization header (Orthanc's DICOMweb plugin as configured by the benchmark scripts).
/// </summary>
internal sealed class TokenSource(HttpClient http, Uri? loginUrl, string? username, string? password)
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private string? _token;
    private DateTime _renewAt;

    public async ValueTask<AuthenticationHeaderValue?> HeaderAsync(CancellationToken cancellationToken)
    {
        if (loginUrl is null || username is null)
        {
            return null;
        }

        if (_token is { } current && DateTime.UtcNow < _renewAt)
        {
            return new AuthenticationHeaderValue("Bearer", current);
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_token is null || DateTime.UtcNow >= _renewAt)
            {
                using var response = await http.PostAsync(loginUrl, JsonContent.Create(new { username, password }), cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw new HttpRequestException($"login as {username} at {loginUrl}: {(int)response.StatusCode} {body}");
                }

                using var json = JsonDocument.Parse(body);
                _token = json.RootElement.GetProperty("access_token").GetString();
                var lifetime = json.RootElement.TryGetProperty("expires_in", out var e) ? e.GetInt32() : 300;
                _renewAt = DateTime.UtcNow + TimeSpan.FromSeconds(lifetime / 2.0);
            }
            return new AuthenticationHeaderValue("Bearer", _token);
        }
        finally
        {
            _lock.Release();
        }
    }
}
