using Microsoft.Extensions.Logging;
using Npgsql;
using Pacs.Index.Accounts;

namespace Pacs.Grains.Accounts;

/// <summary>
/// First run (issue 12): when no admin account exists, creates "admin" with the password from PACS_ADMIN_PASSWORD
/// (used as given, so that scripts and CI can log in), or else with a generated one that is printed once, written to
/// DATA/admin-password (mode 0600) and must be changed at first login. The silo runs this after migrating.
/// </summary>
public static partial class AccountBootstrap
{
    public const string AdminUsername = "admin";
    public const string PasswordFileName = "admin-password";

    public static async Task EnsureFirstAdminAsync(NpgsqlDataSource dataSource, string? adminPassword, string? dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        var store = new AccountStore(dataSource);
        if (await store.AnyAdminAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var given = !string.IsNullOrEmpty(adminPassword);
        var password = given ? adminPassword! : PasswordPolicy.Generate();
        var row = new AccountRow
        {
            Username = AdminUsername,
            Role = Roles.Admin,
            DisplayName = "Administrator",
            Groups = [AccessGroups.All],
            PasswordHash = PasswordHasher.Hash(password),
            MustChangePassword = !given,
        };
        if (!await store.InsertAccountAsync(row, cancellationToken).ConfigureAwait(false))
        {
            return; // another silo made it first
        }

        if (given)
        {
            LogCreatedFromEnvironment(logger, AdminUsername);
            if (PasswordPolicy.Check(password, AdminUsername) is { } weak)
            {
                LogWeakGivenPassword(logger, weak);
            }

            return;
        }

        string? file = null;
        if (!string.IsNullOrEmpty(dataDirectory))
        {
            Directory.CreateDirectory(dataDirectory);
            file = Path.Combine(dataDirectory, PasswordFileName);
            var mode = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                mode.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using var stream = new FileStream(file, mode);
            await using var writer = new StreamWriter(stream);
            await writer.WriteLineAsync(password).ConfigureAwait(false);
        }

        // Printed once, on the console only (not through the logger, whose sinks may be shipped elsewhere).
        Console.WriteLine($"First-run admin account '{AdminUsername}' created with the password {password} (change it at first login{(file is null ? "" : "; also in " + file)}).");
        LogCreatedGenerated(logger, AdminUsername, file ?? "(console only)");
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "First-run admin account {Username} created from PACS_ADMIN_PASSWORD")]
    private static partial void LogCreatedFromEnvironment(ILogger logger, string username);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Warning, Message = "PACS_ADMIN_PASSWORD does not meet the password policy ({Reason}); it was used as given")]
    private static partial void LogWeakGivenPassword(ILogger logger, string reason);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Warning, Message = "First-run admin account {Username} created with a generated password ({File}); it must be changed at first login")]
    private static partial void LogCreatedGenerated(ILogger logger, string username, string file);
}
