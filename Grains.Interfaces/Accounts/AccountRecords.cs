namespace Pacs.Grains.Accounts;

/// <summary>An account as others may see it: never the password hash or the TOTP secret.</summary>
[GenerateSerializer, Immutable]
[Alias("pacs.AccountView")]
public sealed record AccountView
{
    [Id(0)] public required string Username { get; init; }
    [Id(1)] public required string Role { get; init; }
    [Id(2)] public string DisplayName { get; init; } = "";
    [Id(3)] public string Email { get; init; } = "";
    [Id(4)] public string Language { get; init; } = Languages.Default;
    [Id(5)] public IReadOnlyList<string> Groups { get; init; } = [];
    [Id(6)] public bool Enabled { get; init; } = true;
    [Id(7)] public bool MustChangePassword { get; init; }
    [Id(8)] public DateTimeOffset? LockedUntil { get; init; }
    [Id(9)] public bool TotpEnabled { get; init; }
}

/// <summary>What an admin gives to create an account.</summary>
[GenerateSerializer, Immutable]
[Alias("pacs.NewAccount")]
public sealed record NewAccount
{
    [Id(0)] public required string Role { get; init; }
    [Id(1)] public required string Password { get; init; }
    [Id(2)] public string DisplayName { get; init; } = "";
    [Id(3)] public string Email { get; init; } = "";
    [Id(4)] public string Language { get; init; } = Languages.Default;
    [Id(5)] public IReadOnlyList<string> Groups { get; init; } = [];
    /// <summary>True for accounts made by an admin: the user chooses their own password at first login.</summary>
    [Id(6)] public bool MustChangePassword { get; init; } = true;
}

/// <summary>A partial update by an admin (or the user, for language and display name): null leaves a field alone.</summary>
[GenerateSerializer, Immutable]
[Alias("pacs.AccountUpdate")]
public sealed record AccountUpdate
{
    [Id(0)] public string? Role { get; init; }
    [Id(1)] public string? DisplayName { get; init; }
    [Id(2)] public string? Email { get; init; }
    [Id(3)] public string? Language { get; init; }
    [Id(4)] public IReadOnlyList<string>? Groups { get; init; }
    [Id(5)] public bool? Enabled { get; init; }
}

/// <summary>Outcome of an account operation: the account after it, or the reason it was refused.</summary>
[GenerateSerializer, Immutable]
[Alias("pacs.AccountResult")]
public sealed record AccountResult
{
    [Id(0)] public AccountView? Account { get; init; }
    [Id(1)] public AccountError Error { get; init; }
    [Id(2)] public string Detail { get; init; } = "";

    public bool Succeeded => Error == AccountError.None;

    public static AccountResult Ok(AccountView account) => new() { Account = account };

    public static AccountResult Fail(AccountError error, string detail) => new() { Error = error, Detail = detail };
}

[GenerateSerializer]
[Alias("pacs.AccountError")]
public enum AccountError
{
    None = 0,
    NotFound = 1,
    AlreadyExists = 2,
    Invalid = 3,
    WeakPassword = 4,
    WrongPassword = 5,
    /// <summary>Refused by configuration (e.g. removing the second factor of an admin when admins must have one).</summary>
    Refused = 6,
}

/// <summary>The outcome of a login attempt. Callers show every failure alike (no user enumeration); the audit trail keeps the reason.</summary>
[GenerateSerializer]
[Alias("pacs.LoginOutcome")]
public enum LoginOutcome
{
    Succeeded = 0,
    BadCredentials = 1,
    UnknownUser = 2,
    Locked = 3,
    Disabled = 4,
    /// <summary>The password was right; a TOTP code is required and was missing.</summary>
    TotpRequired = 5,
    BadTotp = 6,
    /// <summary>This attempt reached the failure limit and locked the account.</summary>
    LockedNow = 7,
}

[GenerateSerializer, Immutable]
[Alias("pacs.LoginResult")]
public sealed record LoginResult
{
    [Id(0)] public required LoginOutcome Outcome { get; init; }
    [Id(1)] public AccountView? Account { get; init; }
}
