namespace Pacs.Grains.Accounts;

/// <summary>Account and session rules (section "Pacs:Accounts"); the defaults are issue 12's.</summary>
public sealed class AccountOptions
{
    public const string Section = "Pacs:Accounts";

    /// <summary>A session unused this long is over.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Absolute lifetime of doctor and operator sessions.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Absolute lifetime of admin sessions.</summary>
    public TimeSpan AdminSessionLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Failed logins in a row that lock an account.</summary>
    public int MaxFailedLogins { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Admins cannot log in without a TOTP second factor.</summary>
    public bool RequireTotpForAdmins { get; set; }
}
