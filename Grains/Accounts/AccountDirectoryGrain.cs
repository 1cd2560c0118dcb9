using Orleans.Concurrency;
using Pacs.Index.Accounts;

namespace Pacs.Grains.Accounts;

/// <summary>The account directory (<see cref="IAccountDirectoryGrain"/>): a query of pacs_accounts, any silo, no state.</summary>
[StatelessWorker]
[GrainType("account-directory")]
internal sealed class AccountDirectoryGrain(AccountStore store) : Grain, IAccountDirectoryGrain
{
    public const int MaxLimit = 500;

    public Task<AccountPage> ListAsync(string? search, int offset, int limit) =>
        store.ListAccountsAsync(search is { Length: > 200 } ? search[..200] : search, Math.Max(0, offset), Math.Clamp(limit, 1, MaxLimit), CancellationToken.None);
}
