namespace Pacs.Grains.Accounts;

/// <summary>
/// One account (key: <see cref="KeyFor"/>, the lower-cased username). It is the only writer of its row in the account
/// directory: password hash (Argon2id), role, groups, language, lockout counter. Every change that narrows what the
/// account may do (disable, role or group change, password change or reset) revokes all of its sessions.
/// </summary>
[Alias("pacs.IUserGrain")]
public interface IUserGrain : IGrainWithStringKey
{
    [Alias("Get")]
    Task<AccountView?> GetAsync();

    [Alias("Create")]
    Task<AccountResult> CreateAsync(NewAccount account);

    /// <summary>Checks a password (and TOTP code when the account has one); counts failures and locks after the limit.</summary>
    [Alias("Login")]
    Task<LoginResult> LoginAsync(string password, string? totpCode);

    /// <summary>
    /// Starts TOTP enrolment (RFC 6238) after checking the password (a failure counts toward the lockout): a new
    /// secret (base32), pending until <see cref="ConfirmTotpAsync"/>; null when the password is wrong. The pending
    /// secret lives in the activation only, for <see cref="TotpEnrolmentMinutes"/> and five confirmation attempts.
    /// </summary>
    [Alias("BeginTotp")]
    Task<string?> BeginTotpEnrolmentAsync(string password);

    /// <summary>Activates the pending secret when <paramref name="code"/> is its current code; from then on login needs a code.</summary>
    [Alias("ConfirmTotp")]
    Task<bool> ConfirmTotpAsync(string code);

    public const int TotpEnrolmentMinutes = 10;

    /// <summary>
    /// The user removes their own second factor: the current password and a current code of the factor (each failure
    /// counts toward the lockout). Refused (<see cref="AccountError.Refused"/>) for an admin while the configuration
    /// requires TOTP for admins; <see cref="AccountError.Invalid"/> when the account has no factor.
    /// </summary>
    [Alias("RemoveTotp")]
    Task<AccountResult> RemoveTotpAsync(string password, string code);

    /// <summary>An admin removes the account's second factor (a lost phone); refused for an admin account as above.</summary>
    [Alias("ResetTotp")]
    Task<AccountResult> ResetTotpAsync();

    [Alias("ChangePassword")]
    Task<AccountResult> ChangePasswordAsync(string currentPassword, string newPassword);

    /// <summary>An admin sets a new password; the user must change it at next login.</summary>
    [Alias("ResetPassword")]
    Task<AccountResult> ResetPasswordAsync(string newPassword);

    [Alias("Update")]
    Task<AccountResult> UpdateAsync(AccountUpdate update);

    /// <summary>Revokes every session of the account ("log out everywhere"); returns how many were live.</summary>
    [Alias("RevokeSessions")]
    Task<int> RevokeSessionsAsync();

    public static string KeyFor(string username) => username.Trim().ToLowerInvariant();

    /// <summary>Usernames (as keys): 1-64 of a-z, 0-9, '.', '_', '-', '@'.</summary>
    public static bool IsValidUsername(string username) =>
        username is { Length: >= 1 and <= 64 } && username.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-' or '@');

    /// <summary>
    /// The grain a login for <paramref name="username"/> goes to: its own, or for a name no account can have, one key
    /// that never holds an account, so that the answer (and its time) is that of an unknown user.
    /// </summary>
    public static string LoginKeyFor(string username)
    {
        var key = KeyFor(username);
        return IsValidUsername(key) ? key : "#";
    }
}
