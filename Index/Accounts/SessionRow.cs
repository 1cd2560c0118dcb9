using Pacs.Grains.Accounts;

namespace Pacs.Index.Accounts;

/// <summary>A row of pacs_sessions.</summary>
public sealed record SessionRow
{
    public required string SessionId { get; init; }
    public required string Username { get; init; }
    public required string Role { get; init; }
    public IReadOnlyList<string> Groups { get; init; } = [];
    public required DateTimeOffset IssuedAt { get; init; }
    public required DateTimeOffset LastActivity { get; init; }
    public required TimeSpan IdleTimeout { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public string ClientAddress { get; init; } = "";
    public string UserAgent { get; init; } = "";
    public byte[]? RefreshHash { get; init; }
}
