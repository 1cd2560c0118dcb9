using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtpNet;
using Pacs.Index.Accounts;

namespace Pacs.Grains.Accounts;

/// <summary>
/// One account (<see cref="IUserGrain"/>): the single writer of its pacs_accounts row. Password hashing runs off the
/// grain's scheduler turn (Task.Run) so that an Argon2 computation does not hold up other grains of the silo.
/// </summary>
[GrainType("user")]
internal sealed partial class UserGrain(AccountStore store, IOptions<AccountOptions> options, ILogger<UserGrain> logger) : Grain, IUserGrain
{
    private AccountRow? _row;

    /// <summary>A TOTP secret shown to the user and not yet confirmed, its expiry and the confirmation attempts left.</summary>
    private (string Secret, DateTimeOffset Until, int AttemptsLeft)? _pendingTotp;

    private string Username => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _row = IsValidUsername(Username) ? await store.LoadAccountAsync(Username, cancellationToken) : null;

    private static bool IsValidUsername(string username) => IUserGrain.IsValidUsername(username);

    public Task<AccountView?> GetAsync() => Task.FromResult(_row?.ToView());

    public async Task<AccountResult> CreateAsync(NewAccount account)
    {
        if (!IsValidUsername(Username))
        {
            return AccountResult.Fail(AccountError.Invalid, "The username must be 1 to 64 characters of a-z, 0-9, '.', '_', '-', '@'.");
        }

        if (_row is not null)
        {
            return AccountResult.Fail(AccountError.AlreadyExists, $"The account '{Username}' exists.");
        }

        if (Validate(account.Role, account.Language, account.Groups) is { } invalid)
        {
            return AccountResult.Fail(AccountError.Invalid, invalid);
        }

        if (PasswordPolicy.Check(account.Password, Username) is { } weak)
        {
            return AccountResult.Fail(AccountError.WeakPassword, weak);
        }

        var hash = await Task.Run(() => PasswordHasher.Hash(account.Password));
        var row = new AccountRow
        {
            Username = Username,
            Role = account.Role,
            DisplayName = account.DisplayName.Trim(),
            Email = account.Email.Trim(),
            Language = account.Language,
            Groups = account.Groups.Distinct(StringComparer.Ordinal).ToArray(),
            PasswordHash = hash,
            MustChangePassword = account.MustChangePassword,
        };
        if (!await store.InsertAccountAsync(row, CancellationToken.None))
        {
            return AccountResult.Fail(AccountError.AlreadyExists, $"The account '{Username}' exists.");
        }

        _row = row;
        return AccountResult.Ok(row.ToView());
    }

    public async Task<LoginResult> LoginAsync(string password, string? totpCode)
    {
        var now = DateTimeOffset.UtcNow;
        if (_row is not { } row || password.Length > PasswordPolicy.MaximumLength)
        {
            // Same work as for a real account: an unknown username must not answer faster.
            await Task.Run(() => PasswordHasher.Verify(password.Length > PasswordPolicy.MaximumLength ? "" : password, PasswordHasher.Dummy));
            return new LoginResult { Outcome = _row is null ? LoginOutcome.UnknownUser : LoginOutcome.BadCredentials };
        }

        if (row.LockedUntil is { } until && until > now)
        {
            await Task.Run(() => PasswordHasher.Verify(password, PasswordHasher.Dummy));
            return new LoginResult { Outcome = LoginOutcome.Locked };
        }

        var hash = row.PasswordHash;
        if (!await Task.Run(() => PasswordHasher.Verify(password, hash)))
        {
            return new LoginResult { Outcome = await CountFailureAsync(now) };
        }

        if (!row.Enabled)
        {
            return new LoginResult { Outcome = LoginOutcome.Disabled };
        }

        var totpRequired = row.TotpSecret is not null || (row.Role == Roles.Admin && options.Value.RequireTotpForAdmins);
        if (totpRequired)
        {
            if (string.IsNullOrWhiteSpace(totpCode))
            {
                return new LoginResult { Outcome = LoginOutcome.TotpRequired };
            }

            if (row.TotpSecret is null || !VerifyTotp(row.TotpSecret, totpCode.Trim()))
            {
                var outcome = await CountFailureAsync(now);
                return new LoginResult { Outcome = outcome == LoginOutcome.LockedNow ? outcome : LoginOutcome.BadTotp };
            }
        }

        if (row.FailedAttempts != 0 || row.LockedUntil is not null)
        {
            _row = row with { FailedAttempts = 0, LockedUntil = null };
            await store.UpdateAccountAsync(_row, CancellationToken.None);
        }

        return new LoginResult { Outcome = LoginOutcome.Succeeded, Account = _row.ToView() };
    }

    public async Task<string?> BeginTotpEnrolmentAsync(string password)
    {
        if (_row is not { } row || password.Length > PasswordPolicy.MaximumLength)
        {
            return null;
        }

        var hash = row.PasswordHash;
        if (!await Task.Run(() => PasswordHasher.Verify(password, hash)))
        {
            await CountFailureAsync(DateTimeOffset.UtcNow);
            return null;
        }

        // 160 bits, the HMAC-SHA1 block the RFC 4226 reference uses (section 4, R6: at least 128 bits).
        var secret = Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));
        _pendingTotp = (secret, DateTimeOffset.UtcNow.AddMinutes(IUserGrain.TotpEnrolmentMinutes), 5);
        return secret;
    }

    public async Task<bool> ConfirmTotpAsync(string code)
    {
        if (_row is null || _pendingTotp is not { } pending || pending.Until < DateTimeOffset.UtcNow)
        {
            _pendingTotp = null;
            return false;
        }

        if (!VerifyTotp(pending.Secret, code.Trim()))
        {
            // A six-digit code must not be guessed against one secret for ten minutes: five tries, then enrol again.
            _pendingTotp = pending.AttemptsLeft > 1 ? pending with { AttemptsLeft = pending.AttemptsLeft - 1 } : null;
            return false;
        }

        _row = _row with { TotpSecret = pending.Secret };
        _pendingTotp = null;
        await store.UpdateAccountAsync(_row, CancellationToken.None);
        return true;
    }

    public async Task<AccountResult> RemoveTotpAsync(string password, string code)
    {
        if (_row is not { } row)
        {
            return AccountResult.Fail(AccountError.NotFound, "No such account.");
        }

        var hash = row.PasswordHash;
        if (password.Length > PasswordPolicy.MaximumLength || !await Task.Run(() => PasswordHasher.Verify(password, hash)))
        {
            await CountFailureAsync(DateTimeOffset.UtcNow);
            return AccountResult.Fail(AccountError.WrongPassword, "The password or the code is not right.");
        }

        if (row.TotpSecret is not { } secret)
        {
            return AccountResult.Fail(AccountError.Invalid, "The account has no second factor.");
        }

        if (!VerifyTotp(secret, code.Trim()))
        {
            await CountFailureAsync(DateTimeOffset.UtcNow);
            return AccountResult.Fail(AccountError.WrongPassword, "The password or the code is not right.");
        }

        return await ClearTotpAsync();
    }

    public Task<AccountResult> ResetTotpAsync() => _row is null
        ? Task.FromResult(AccountResult.Fail(AccountError.NotFound, "No such account."))
        : ClearTotpAsync();

    private async Task<AccountResult> ClearTotpAsync()
    {
        var row = _row!;
        // Without a factor such an admin could not log in at all (LoginAsync): the configuration wins.
        if (row.Role == Roles.Admin && options.Value.RequireTotpForAdmins)
        {
            return AccountResult.Fail(AccountError.Refused, "Admins must keep a second factor (Pacs:Accounts:RequireTotpForAdmins).");
        }

        _pendingTotp = null;
        if (row.TotpSecret is null)
        {
            return AccountResult.Ok(row.ToView());
        }

        _row = row with { TotpSecret = null };
        await store.UpdateAccountAsync(_row, CancellationToken.None);
        return AccountResult.Ok(_row.ToView());
    }

    /// <summary>RFC 6238 with a window of one step either side (clock drift between phone and server).</summary>
    private static bool VerifyTotp(string base32Secret, string code)
    {
        try
        {
            var totp = new Totp(Base32Encoding.ToBytes(base32Secret));
            return totp.VerifyTotp(code, out _, new VerificationWindow(previous: 1, future: 1));
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private async Task<LoginOutcome> CountFailureAsync(DateTimeOffset now)
    {
        var row = _row!;
        var failures = row.FailedAttempts + 1;
        var outcome = LoginOutcome.BadCredentials;
        if (failures >= options.Value.MaxFailedLogins)
        {
            row = row with { FailedAttempts = 0, LockedUntil = now + options.Value.LockoutDuration };
            outcome = LoginOutcome.LockedNow;
            LogLockedOut(logger, options.Value.MaxFailedLogins);
        }
        else
        {
            row = row with { FailedAttempts = failures };
        }

        _row = row;
        await store.UpdateAccountAsync(row, CancellationToken.None);
        return outcome;
    }

    public async Task<AccountResult> ChangePasswordAsync(string currentPassword, string newPassword)
    {
        if (_row is not { } row)
        {
            return AccountResult.Fail(AccountError.NotFound, "No such account.");
        }

        var hash = row.PasswordHash;
        if (currentPassword.Length > PasswordPolicy.MaximumLength || !await Task.Run(() => PasswordHasher.Verify(currentPassword, hash)))
        {
            await CountFailureAsync(DateTimeOffset.UtcNow);
            return AccountResult.Fail(AccountError.WrongPassword, "The current password is not right.");
        }

        if (PasswordPolicy.Check(newPassword, Username) is { } weak)
        {
            return AccountResult.Fail(AccountError.WeakPassword, weak);
        }

        if (newPassword == currentPassword)
        {
            return AccountResult.Fail(AccountError.WeakPassword, "The new password must differ from the current one.");
        }

        return await SetPasswordAsync(newPassword, mustChange: false);
    }

    public async Task<AccountResult> ResetPasswordAsync(string newPassword)
    {
        if (_row is null)
        {
            return AccountResult.Fail(AccountError.NotFound, "No such account.");
        }

        if (PasswordPolicy.Check(newPassword, Username) is { } weak)
        {
            return AccountResult.Fail(AccountError.WeakPassword, weak);
        }

        return await SetPasswordAsync(newPassword, mustChange: true);
    }

    private async Task<AccountResult> SetPasswordAsync(string password, bool mustChange)
    {
        var hash = await Task.Run(() => PasswordHasher.Hash(password));
        _row = _row! with { PasswordHash = hash, MustChangePassword = mustChange, FailedAttempts = 0, LockedUntil = null };
        await store.UpdateAccountAsync(_row, CancellationToken.None);
        await RevokeSessionsAsync();
        return AccountResult.Ok(_row.ToView());
    }

    public async Task<AccountResult> UpdateAsync(AccountUpdate update)
    {
        if (_row is not { } row)
        {
            return AccountResult.Fail(AccountError.NotFound, "No such account.");
        }

        var next = row with
        {
            Role = update.Role ?? row.Role,
            DisplayName = update.DisplayName?.Trim() ?? row.DisplayName,
            Email = update.Email?.Trim() ?? row.Email,
            Language = update.Language ?? row.Language,
            Groups = update.Groups?.Distinct(StringComparer.Ordinal).ToArray() ?? row.Groups,
            Enabled = update.Enabled ?? row.Enabled,
        };
        if (Validate(next.Role, next.Language, next.Groups) is { } invalid)
        {
            return AccountResult.Fail(AccountError.Invalid, invalid);
        }

        if (next.DisplayName.Length > 200 || next.Email.Length > 320)
        {
            return AccountResult.Fail(AccountError.Invalid, "Display name or e-mail is too long.");
        }

        _row = next;
        await store.UpdateAccountAsync(next, CancellationToken.None);
        // Issue 12: disabling an account, a role or a group change end every session (they carry role and groups).
        if (next.Role != row.Role || (!next.Enabled && row.Enabled) || !next.Groups.Order(StringComparer.Ordinal).SequenceEqual(row.Groups.Order(StringComparer.Ordinal)))
        {
            await RevokeSessionsAsync();
        }

        return AccountResult.Ok(next.ToView());
    }

    public async Task<int> RevokeSessionsAsync()
    {
        var revoked = await store.RevokeUserSessionsAsync(Username, CancellationToken.None);
        if (revoked.Count == 0)
        {
            return 0;
        }

        // The rows say revoked already. Every gateway is told at once (it refuses these sessions from now on, whatever
        // a session grain still answers); the grains drop what they hold in memory so that the next check answers no.
        // A session grain that was active publishes its own id again: harmless, a gateway forgets a session once.
        await RevocationPublisher.PublishAsync(GrainFactory, revoked, logger);
        await Task.WhenAll(revoked.Select(id => GrainFactory.GetGrain<ISessionGrain>(id).RevokeAsync()));
        return revoked.Count;
    }

    private static string? Validate(string role, string language, IReadOnlyList<string> groups)
    {
        if (!Roles.IsValid(role))
        {
            return $"The role must be one of {string.Join(", ", Roles.All)}.";
        }

        if (!Languages.IsValid(language))
        {
            return $"The language must be one of {string.Join(", ", Languages.All)}.";
        }

        if (groups.Count > 64 || groups.Any(g => g != AccessGroups.All && !AccessGroups.IsValidName(g)))
        {
            return "Access groups are up to 64 names of a-z, 0-9, '-', '_', '.' (or \"*\" for all).";
        }

        return null;
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "An account was locked after {Failures} failed logins")]
    private static partial void LogLockedOut(ILogger logger, int failures);
}
