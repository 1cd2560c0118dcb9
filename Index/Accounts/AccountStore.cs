using Npgsql;
using NpgsqlTypes;
using Pacs.Grains.Accounts;

namespace Pacs.Index.Accounts;

/// <summary>The SQL of pacs_accounts and pacs_sessions (0120_accounts.sql): the only code that reads or writes them (the user and session grains and the first-run bootstrap call it).</summary>
public sealed class AccountStore(NpgsqlDataSource dataSource)
{
    private const string AccountColumns =
        "username, role, display_name, email, language, access_groups, enabled, password_hash, must_change_password, failed_attempts, locked_until, totp_secret";

    public async Task<AccountRow?> LoadAccountAsync(string username, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {AccountColumns} FROM pacs_accounts WHERE username = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = username });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadAccount(reader) : null;
    }

    /// <summary>Inserts a new account; false when the username is taken.</summary>
    public async Task<bool> InsertAccountAsync(AccountRow row, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO pacs_accounts ({AccountColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (username) DO NOTHING
            """);
        AddAccountParameters(command, row);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task UpdateAccountAsync(AccountRow row, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE pacs_accounts SET role = $2, display_name = $3, email = $4, language = $5, access_groups = $6, enabled = $7,
                password_hash = $8, must_change_password = $9, failed_attempts = $10, locked_until = $11, totp_secret = $12,
                updated_at = now()
            WHERE username = $1
            """);
        AddAccountParameters(command, row);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<AccountPage> ListAccountsAsync(string? search, int offset, int limit, CancellationToken cancellationToken)
    {
        var pattern = string.IsNullOrWhiteSpace(search) ? null : "%" + EscapeLike(search.Trim()) + "%";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        const string Where = "WHERE $1::text IS NULL OR username ILIKE $1 OR display_name ILIKE $1 OR email ILIKE $1";
        int total;
        await using (var count = new NpgsqlCommand($"SELECT count(*) FROM pacs_accounts {Where}", connection))
        {
            count.Parameters.Add(new NpgsqlParameter { Value = (object?)pattern ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            total = (int)(long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await using var command = new NpgsqlCommand($"SELECT {AccountColumns} FROM pacs_accounts {Where} ORDER BY username OFFSET $2 LIMIT $3", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)pattern ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = offset });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var accounts = new List<AccountView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            accounts.Add(ReadAccount(reader).ToView());
        }

        return new AccountPage { Accounts = accounts, Total = total };
    }

    /// <summary>True when some enabled admin account exists (first-run bootstrap).</summary>
    public async Task<bool> AnyAdminAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM pacs_accounts WHERE role = 'admin')");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<SessionRow?> LoadSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT session_id, username, role, access_groups, issued_at, last_activity, idle_timeout_seconds, expires_at,
                   revoked_at, client_address, user_agent, refresh_hash
            FROM pacs_sessions WHERE session_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = sessionId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new SessionRow
        {
            SessionId = reader.GetString(0),
            Username = reader.GetString(1),
            Role = reader.GetString(2),
            Groups = reader.GetFieldValue<string[]>(3),
            IssuedAt = reader.GetFieldValue<DateTimeOffset>(4),
            LastActivity = reader.GetFieldValue<DateTimeOffset>(5),
            IdleTimeout = TimeSpan.FromSeconds(reader.GetInt32(6)),
            ExpiresAt = reader.GetFieldValue<DateTimeOffset>(7),
            RevokedAt = reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
            ClientAddress = reader.GetString(9),
            UserAgent = reader.GetString(10),
            RefreshHash = reader.IsDBNull(11) ? null : reader.GetFieldValue<byte[]>(11),
        };
    }

    public async Task InsertSessionAsync(SessionRow row, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO pacs_sessions (session_id, username, role, access_groups, issued_at, last_activity, idle_timeout_seconds,
                expires_at, client_address, user_agent, refresh_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = row.SessionId });
        command.Parameters.Add(new NpgsqlParameter { Value = row.Username });
        command.Parameters.Add(new NpgsqlParameter { Value = row.Role });
        command.Parameters.Add(new NpgsqlParameter { Value = row.Groups.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = row.IssuedAt });
        command.Parameters.Add(new NpgsqlParameter { Value = row.LastActivity });
        command.Parameters.Add(new NpgsqlParameter { Value = (int)row.IdleTimeout.TotalSeconds });
        command.Parameters.Add(new NpgsqlParameter { Value = row.ExpiresAt });
        command.Parameters.Add(new NpgsqlParameter { Value = row.ClientAddress });
        command.Parameters.Add(new NpgsqlParameter { Value = row.UserAgent });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.RefreshHash ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records activity and the current refresh token hash.</summary>
    public async Task TouchSessionAsync(string sessionId, DateTimeOffset lastActivity, byte[]? refreshHash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE pacs_sessions SET last_activity = $2, refresh_hash = $3 WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sessionId });
        command.Parameters.Add(new NpgsqlParameter { Value = lastActivity });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)refreshHash ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bytea });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task RevokeSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE pacs_sessions SET revoked_at = now() WHERE session_id = $1 AND revoked_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = sessionId });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks every live session of the user revoked and returns their ids (their grains are told next).</summary>
    public async Task<IReadOnlyList<string>> RevokeUserSessionsAsync(string username, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE pacs_sessions SET revoked_at = now() WHERE username = $1 AND revoked_at IS NULL RETURNING session_id");
        command.Parameters.Add(new NpgsqlParameter { Value = username });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private static AccountRow ReadAccount(NpgsqlDataReader reader) => new()
    {
        Username = reader.GetString(0),
        Role = reader.GetString(1),
        DisplayName = reader.GetString(2),
        Email = reader.GetString(3),
        Language = reader.GetString(4),
        Groups = reader.GetFieldValue<string[]>(5),
        Enabled = reader.GetBoolean(6),
        PasswordHash = reader.GetString(7),
        MustChangePassword = reader.GetBoolean(8),
        FailedAttempts = reader.GetInt32(9),
        LockedUntil = reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
        TotpSecret = reader.IsDBNull(11) ? null : reader.GetString(11),
    };

    private static void AddAccountParameters(NpgsqlCommand command, AccountRow row)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = row.Username });
        command.Parameters.Add(new NpgsqlParameter { Value = row.Role });
        command.Parameters.Add(new NpgsqlParameter { Value = row.DisplayName });
        command.Parameters.Add(new NpgsqlParameter { Value = row.Email });
        command.Parameters.Add(new NpgsqlParameter { Value = row.Language });
        command.Parameters.Add(new NpgsqlParameter { Value = row.Groups.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = row.Enabled });
        command.Parameters.Add(new NpgsqlParameter { Value = row.PasswordHash });
        command.Parameters.Add(new NpgsqlParameter { Value = row.MustChangePassword });
        command.Parameters.Add(new NpgsqlParameter { Value = row.FailedAttempts });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.LockedUntil ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)row.TotpSecret ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
    }

    private static string EscapeLike(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
