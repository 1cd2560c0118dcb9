using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Pacs.Index.Schema;

/// <summary>
/// Brings a PostgreSQL database to the newest schema: applies the embedded migrations it has not seen,
/// in version order, each in its own transaction together with its row in <c>schema_migrations</c>.
/// Several silos may start at once, so the whole run holds a session-level advisory lock; whoever
/// gets it second finds the work done. Migrations are forward-only: a new change is a new file
/// (Orleans tables are 0001-0099, our index tables 0100 and up).
/// </summary>
public sealed partial class SchemaMigrator
{
    // Arbitrary but fixed: every process that migrates this schema must agree on it.
    // (ASCII "PacsSchm".)
    private const long AdvisoryLockKey = 0x5061_6373_5363_686D;

    private const string ResourcePrefix = "Pacs.Index.Migrations.";

    private readonly string _connectionString;
    private readonly IReadOnlyList<SchemaMigration> _migrations;
    private readonly ILogger _logger;

    public SchemaMigrator(string connectionString, ILogger<SchemaMigrator>? logger = null)
        : this(connectionString, EmbeddedMigrations(), logger)
    {
    }

    /// <summary>For tests and tools that supply their own list.</summary>
    public SchemaMigrator(string connectionString, IEnumerable<SchemaMigration> migrations, ILogger<SchemaMigrator>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _connectionString = connectionString;
        _migrations = Validate(migrations);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The migrations this migrator knows, in version order.</summary>
    public IReadOnlyList<SchemaMigration> Migrations => _migrations;

    /// <summary>How long to wait for another process's migration run before giving up.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Applies whatever is missing and returns the versions applied by this call (empty when up to date).</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

        await AcquireLockAsync(connection, cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations
                (
                    version    integer     NOT NULL PRIMARY KEY,
                    name       text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                """, cancellationToken).ConfigureAwait(false);

            var applied = await ReadAppliedAsync(connection, cancellationToken).ConfigureAwait(false);
            var newlyApplied = new List<int>();
            foreach (var migration in _migrations)
            {
                if (applied.Contains(migration.Version))
                {
                    continue;
                }

                await ApplyAsync(connection, migration, cancellationToken).ConfigureAwait(false);
                newlyApplied.Add(migration.Version);
            }

            if (newlyApplied.Count == 0)
            {
                LogUpToDate(_logger, _migrations.Count == 0 ? 0 : _migrations[^1].Version);
            }

            return newlyApplied;
        }
        finally
        {
            // Closing the connection would release the lock too, but pooled connections are not
            // really closed; release it explicitly, and not with a token that may already be cancelled.
            // If the connection broke, the server has already dropped the lock with the session.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                try
                {
                    await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None)
                        .ConfigureAwait(false);
                }
                catch (NpgsqlException)
                {
                    // Keep the original failure; the lock dies with the broken session.
                }
            }
        }
    }

    /// <summary>The versions recorded in <c>schema_migrations</c>, or none if the table does not exist yet.</summary>
    public async Task<IReadOnlyList<int>> GetAppliedVersionsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return [];
            }
        }

        var applied = await ReadAppliedAsync(connection, cancellationToken).ConfigureAwait(false);
        return [.. applied.Order()];
    }

    /// <summary>The migrations embedded in this assembly, in version order.</summary>
    public static IReadOnlyList<SchemaMigration> EmbeddedMigrations()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var migrations = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var fileName = resource[ResourcePrefix.Length..];
            var match = FileNamePattern().Match(fileName);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Embedded migration '{fileName}' is not named NNNN_name.sql.");
            }

            migrations.Add(new SchemaMigration(
                int.Parse(match.Groups["version"].Value, NumberStyles.None, CultureInfo.InvariantCulture),
                match.Groups["name"].Value,
                ReadResource(assembly, resource)));
        }

        return Validate(migrations);
    }

    private static IReadOnlyList<SchemaMigration> Validate(IEnumerable<SchemaMigration> migrations)
    {
        var ordered = migrations.OrderBy(m => m.Version).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            if (ordered[i].Version <= 0)
            {
                throw new InvalidOperationException($"Migration '{ordered[i].Name}' has a non-positive version.");
            }

            if (i > 0 && ordered[i].Version == ordered[i - 1].Version)
            {
                throw new InvalidOperationException(
                    $"Migrations '{ordered[i - 1].Name}' and '{ordered[i].Name}' share version {ordered[i].Version}.");
            }
        }

        return ordered;
    }

    private async Task AcquireLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // pg_try_advisory_lock in a loop rather than pg_advisory_lock: a blocked backend would not notice
        // our cancellation, and a bounded wait turns a stuck peer into a clear error instead of a hang.
        var deadline = DateTime.UtcNow + LockTimeout;
        var delay = TimeSpan.FromMilliseconds(50);
        await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({AdvisoryLockKey})", connection);
        while (true)
        {
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException(
                    $"Another process held the schema migration lock for more than {LockTimeout.TotalSeconds:0} s.");
            }

            LogWaitingForLock(_logger);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    private async Task ApplyAsync(NpgsqlConnection connection, SchemaMigration migration, CancellationToken cancellationToken)
    {
        LogApplying(_logger, migration.Version, migration.Name);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await using (var record = new NpgsqlCommand(
                "INSERT INTO schema_migrations (version, name) VALUES (@version, @name)", connection, transaction))
            {
                record.Parameters.AddWithValue("version", migration.Version);
                record.Parameters.AddWithValue("name", migration.Name);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new SchemaMigrationException(migration.Version, migration.Name, ex);
        }
    }

    private static async Task<HashSet<int>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new HashSet<int>();
        await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applied.Add(reader.GetInt32(0));
        }

        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded migration '{name}' vanished.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(?<version>\d{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex FileNamePattern();

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applying schema migration {Version} ({Name})")]
    private static partial void LogApplying(ILogger logger, int version, string name);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Database schema is up to date at version {Version}")]
    private static partial void LogUpToDate(ILogger logger, int version);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Waiting for another process to finish migrating the schema")]
    private static partial void LogWaitingForLock(ILogger logger);
}

/// <summary>A migration failed; its transaction was rolled back, earlier migrations stay applied.</summary>
public sealed class SchemaMigrationException(int version, string name, Exception inner)
    : Exception($"Schema migration {version:0000}_{name} failed: {inner.Message}", inner)
{
    public int Version { get; } = version;

    public string MigrationName { get; } = name;
}
