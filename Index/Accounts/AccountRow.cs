using Pacs.Grains.Accounts;

namespace Pacs.Index.Accounts;

/// <summary>A row of pacs_accounts, secrets included: lives only inside the user grain and <see cref="AccountStore"/>.</summary>
public sealed record AccountRow
{
    public required string Username { get; init; }
    public required string Role { get; init; }
    public string DisplayName { get; init; } = "";
    public string Email { get; init; } = "";
    public string Language { get; init; } = Languages.Default;
    public IReadOnlyList<string> Groups { get; init; } = [];
    public bool Enabled { get; init; } = true;
    public required string PasswordHash { get; init; }
    public bool MustChangePassword { get; init; }
    public int FailedAttempts { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }
    public string? TotpSecret { get; init; }

    public AccountView ToView() => new()
    {
        Username = Username,
        Role = Role,
        DisplayName = DisplayName,
        Email = Email,
        Language = Language,
        Groups = Groups,
        Enabled = Enabled,
        MustChangePassword = MustChangePassword,
        LockedUntil = LockedUntil,
        TotpEnabled = TotpSecret is not null,
    };
}
