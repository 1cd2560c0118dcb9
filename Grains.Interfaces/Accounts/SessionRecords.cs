namespace Pacs.Grains.Accounts;

/// <summary>What the gateway knows of a client when it opens a session.</summary>
[GenerateSerializer, Immutable]
[Alias("pacs.SessionStart")]
public sealed record SessionStart
{
    [Id(0)] public required string Username { get; init; }
    [Id(1)] public string ClientAddress { get; init; } = "";
    [Id(2)] public string UserAgent { get; init; } = "";
    /// <summary>SHA-256 of the refresh token handed to an API client (empty for browser sessions).</summary>
    [Id(3)] public byte[] RefreshTokenHash { get; init; } = [];
}

/// <summary>A live session: who, with which role and groups, until when.</summary>
[GenerateSerializer, Immutable]
[Alias("pacs.SessionView")]
public sealed record SessionView
{
    [Id(0)] public required string SessionId { get; init; }
    [Id(1)] public required string Username { get; init; }
    [Id(2)] public required string Role { get; init; }
    [Id(3)] public IReadOnlyList<string> Groups { get; init; } = [];
    [Id(4)] public string Language { get; init; } = Languages.Default;
    [Id(5)] public string DisplayName { get; init; } = "";
    [Id(6)] public DateTimeOffset IssuedAt { get; init; }
    [Id(7)] public DateTimeOffset ExpiresAt { get; init; }
    [Id(8)] public bool MustChangePassword { get; init; }
}
