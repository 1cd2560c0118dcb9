namespace Pacs.Grains.Accounts;

/// <summary>The account directory: list and search accounts from the index table, never a scan of grains (stateless).</summary>
[Alias("pacs.IAccountDirectoryGrain")]
public interface IAccountDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Accounts whose username, display name or e-mail contains <paramref name="search"/> (all when empty), by username.</summary>
    [Alias("List")]
    Task<AccountPage> ListAsync(string? search, int offset, int limit);
}

[GenerateSerializer, Immutable]
[Alias("pacs.AccountPage")]
public sealed record AccountPage
{
    [Id(0)] public required IReadOnlyList<AccountView> Accounts { get; init; }
    [Id(1)] public required int Total { get; init; }
}
