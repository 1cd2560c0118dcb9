using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Pacs.Testing;

/// <summary>
/// A PostgreSQL server for tests. Either a private one started from the machine's binaries (initdb +
/// postgres) in a temporary folder on a free loopback port, or, when the environment variable
/// <c>PACS_TEST_DB</c> holds a connection string, that existing server. Tests get a fresh database each
/// from <see cref="CreateDatabaseAsync"/>. The private server can be stopped and started again on the
/// same data directory and port (<see cref="StopAsync"/>/<see cref="StartAsync"/>) to test what happens
/// when the database goes away. Every wait is bounded; if the server dies, calls fail with its log tail.
/// </summary>
public sealed partial class PostgresServer : IAsyncDisposable
{
    public const string ExternalConnectionVariable = "PACS_TEST_DB";

    // PostgreSQL refuses to run as root; this account must exist when tests run as root.
    private const string ServiceUser = "postgres";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);

    private readonly string? _root;
    private readonly string? _binDirectory;
    private readonly NpgsqlConnectionStringBuilder _admin;
    private readonly Lock _logLock = new();
    private readonly Queue<string> _logTail = new();
    private Process? _process;
    private bool _stopping;
    private bool _disposed;

    // Databases made on a PACS_TEST_DB server: their names carry a token of this server object, so fixtures of other
    // test classes or processes sharing that server never drop each other's; they are dropped on dispose.
    private readonly string _externalSuffix = "_" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _externalDatabases = [];

    private PostgresServer(NpgsqlConnectionStringBuilder admin, string? root, string? binDirectory)
    {
        _admin = admin;
        _root = root;
        _binDirectory = binDirectory;
    }

    /// <summary>True when the server was given through <c>PACS_TEST_DB</c> and is not ours to stop.</summary>
    public bool IsExternal => _root is null;

    /// <summary>Connection string for the server's maintenance database (superuser).</summary>
    public string AdminConnectionString => _admin.ConnectionString;

    public int Port => _admin.Port;

    /// <summary>The private server's folder (data/, sock/, postgres.log); null for an external server.</summary>
    public string? RootDirectory => _root;

    public string? LogFile => _root is null ? null : Path.Combine(_root, "postgres.log");

    /// <summary>True while the private server process runs (always true for an external server).</summary>
    public bool IsRunning => IsExternal || (_process is { HasExited: false });

    /// <summary>Starts a private server, or wraps the one named by <c>PACS_TEST_DB</c>.</summary>
    public static async Task<PostgresServer> StartNewAsync(CancellationToken cancellationToken = default)
    {
        var external = Environment.GetEnvironmentVariable(ExternalConnectionVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return await ConnectAsync(external, cancellationToken).ConfigureAwait(false);
        }

        var bin = FindBinDirectory();
        var root = Path.Combine(Path.GetTempPath(), "pacs-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(Path.Combine(root, "sock"));
        var admin = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = FreeLoopbackPort(),
            Username = ServiceUser,
            Database = "postgres",
            // Bounded waits: a wedged server fails a test instead of hanging the run.
            Timeout = 10,
            CommandTimeout = 60,
        };
        var created = new PostgresServer(admin, root, bin);
        try
        {
            await created.InitializeAsync(cancellationToken).ConfigureAwait(false);
            await created.StartAsync(cancellationToken).ConfigureAwait(false);
            return created;
        }
        catch
        {
            await created.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Wraps a server that is not ours (what <c>PACS_TEST_DB</c> names): never stopped, its databases suffixed.</summary>
    public static async Task<PostgresServer> ConnectAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var server = new PostgresServer(new NpgsqlConnectionStringBuilder(connectionString), root: null, binDirectory: null);
        await server.WaitUntilAcceptingAsync(cancellationToken).ConfigureAwait(false);
        return server;
    }

    /// <summary>
    /// Creates (or re-creates, dropping any leftover of that name) a database and returns its
    /// connection string. Names are lower-cased and reduced to [a-z0-9_]; on a <c>PACS_TEST_DB</c> server they also
    /// carry this object's own suffix (<see cref="DatabaseName"/>).
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        EnsureRunning();
        var database = DatabaseName(name);
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            foreach (var sql in new[]
            {
                $"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
                $"CREATE DATABASE {database} ENCODING 'UTF8' TEMPLATE template0",
                // Timestamps without a zone (DbType.DateTime parameters) are read as UTC.
                $"ALTER DATABASE {database} SET timezone TO 'UTC'",
            })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (IsExternal)
        {
            lock (_externalDatabases)
            {
                _externalDatabases.Add(database);
            }
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;
    }

    /// <summary>The database <see cref="CreateDatabaseAsync"/> makes for <paramref name="name"/> on this server.</summary>
    public string DatabaseName(string name)
    {
        var safe = SafeName(name);
        return IsExternal ? safe[..Math.Min(safe.Length, 63 - _externalSuffix.Length)] + _externalSuffix : safe;
    }

    /// <summary>Starts the private server (again) on its data directory and port; waits until it accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfExternal();
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_process is { HasExited: false })
        {
            return;
        }

        _stopping = false;
        var arguments = new List<string>
        {
            "-D", DataDirectory,
            "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-k", Path.Combine(_root!, "sock"),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=on",
            "-c", "max_connections=200",
            "-c", "timezone=UTC",
            "-c", "logging_collector=off",
        };
        var process = new Process { StartInfo = ServiceUserStartInfo(Path.Combine(_binDirectory!, "postgres"), arguments), EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => AppendLog(e.Data);
        process.ErrorDataReceived += (_, e) => AppendLog(e.Data);
        process.Exited += (_, _) => AppendLog(_stopping ? "[test harness] postgres stopped" : "[test harness] postgres exited unexpectedly");
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start postgres.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitUntilAcceptingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the private server (fast shutdown: sessions are disconnected), keeping its data.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => StopAsync("fast", cancellationToken);

    // "fast" writes a shutdown checkpoint (every dirty page, fsynced) so that the data can be started again;
    // "immediate" skips it, for a server whose folder is deleted next (DisposeAsync).
    private async Task StopAsync(string mode, CancellationToken cancellationToken)
    {
        ThrowIfExternal();
        var process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }

        _stopping = true;
        // pg_ctl (as the service user when we are root) signals the postmaster: both modes disconnect sessions.
        await RunToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", mode, "-w", "-t", "30"], cancellationToken, throwOnError: false)
            .ConfigureAwait(false);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StopTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(StopTimeout, CancellationToken.None).ConfigureAwait(false);
        }

        // Pooled connections to the old server are dead; drop them so the next open gets a fresh one.
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Throws with the server's log tail if the private server is not running (e.g. it crashed).</summary>
    public void EnsureRunning()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsExternal)
        {
            return;
        }

        if (_process is null || _process.HasExited)
        {
            var exit = _process is null ? "was never started" : $"exited with code {_process.ExitCode}";
            throw new InvalidOperationException($"The test PostgreSQL server on port {Port} {exit}. Log tail:{Environment.NewLine}{LogTail()}");
        }
    }

    /// <summary>The last lines the server wrote.</summary>
    public string LogTail()
    {
        lock (_logLock)
        {
            return string.Join(Environment.NewLine, _logTail);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        if (!IsExternal)
        {
            try
            {
                await StopAsync("immediate", CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _disposed = true;
                _process?.Dispose();
                try
                {
                    Directory.Delete(_root!, recursive: true);
                }
                catch (IOException)
                {
                    // A leftover temp folder is not worth failing a test run for.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }

        else
        {
            await DropExternalDatabasesAsync().ConfigureAwait(false);
        }

        _disposed = true;
    }

    private async Task DropExternalDatabasesAsync()
    {
        string[] databases;
        lock (_externalDatabases)
        {
            databases = [.. _externalDatabases];
            _externalDatabases.Clear();
        }

        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            foreach (var database in databases)
            {
                await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection);
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
        catch (NpgsqlException)
        {
            // A database left on a shared server is not worth failing a test run for.
        }
    }

    private string DataDirectory => Path.Combine(_root!, "data");

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (Environment.IsPrivilegedProcess)
        {
            // initdb and postgres run as the service user, who must own the folder.
            await RunProcessAsync("chown", ["-R", $"{ServiceUser}:", _root!], cancellationToken, throwOnError: true).ConfigureAwait(false);
        }

        await RunToolAsync("initdb", ["-D", DataDirectory, "-U", ServiceUser, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-instructions",
            // The new cluster's files are not fsynced before the server starts (the server itself runs with fsync=on);
            // a test server does not outlive the machine's page cache.
            "--no-sync"], cancellationToken, throwOnError: true)
            .ConfigureAwait(false);
    }

    private async Task WaitUntilAcceptingAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsExternal)
            {
                EnsureRunning();
            }

            try
            {
                var probe = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false, Timeout = 5 };
                await using var connection = new NpgsqlConnection(probe.ConnectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                last = ex;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException(
            $"PostgreSQL on port {Port} did not accept connections within {StartTimeout.TotalSeconds:0} s ({last?.Message}). Log tail:{Environment.NewLine}{LogTail()}",
            last);
    }

    private Task RunToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool throwOnError)
    {
        var info = ServiceUserStartInfo(Path.Combine(_binDirectory!, tool), arguments);
        return RunProcessAsync(info.FileName, [.. info.ArgumentList], cancellationToken, throwOnError);
    }

    private static async Task RunProcessAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool throwOnError)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ToolTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {ToolTimeout.TotalSeconds:0} s.");
        }

        if (throwOnError && process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}:{Environment.NewLine}{await stdout.ConfigureAwait(false)}{await stderr.ConfigureAwait(false)}");
        }
    }

    private static ProcessStartInfo ServiceUserStartInfo(string binary, IReadOnlyList<string> arguments)
    {
        ProcessStartInfo info;
        if (Environment.IsPrivilegedProcess)
        {
            info = new ProcessStartInfo("runuser");
            foreach (var prefix in new[] { "-u", ServiceUser, "--", binary })
            {
                info.ArgumentList.Add(prefix);
            }
        }
        else
        {
            info = new ProcessStartInfo(binary);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        // A predictable environment: no locale surprises in initdb, messages in English for the log tail.
        info.Environment["LC_ALL"] = "C";
        info.Environment["LANG"] = "C";
        return info;
    }

    private void AppendLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            _logTail.Enqueue(line);
            while (_logTail.Count > 60)
            {
                _logTail.Dequeue();
            }

            try
            {
                File.AppendAllText(LogFile!, line + "\n", Encoding.UTF8);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private void ThrowIfExternal()
    {
        if (IsExternal)
        {
            throw new NotSupportedException($"The server from {ExternalConnectionVariable} is not ours to stop or start.");
        }
    }

    private static string FindBinDirectory()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "initdb");
            if (File.Exists(candidate))
            {
                // Resolve symlinks (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb): postgres
                // and pg_ctl sit next to the real initdb, not necessarily next to the link.
                var real = new FileInfo(candidate).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? candidate;
                return Path.GetDirectoryName(real)!;
            }
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var newest = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => d, StringComparer.Ordinal)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        throw new InvalidOperationException(
            $"PostgreSQL binaries (initdb, postgres) were not found on PATH or under /usr/lib/postgresql; install them or set {ExternalConnectionVariable}.");
    }

    private static int FreeLoopbackPort() => TestPorts.Next();

    private static string SafeName(string name)
    {
        var safe = UnsafeChars().Replace(name.ToLowerInvariant(), "_");
        if (safe.Length == 0 || char.IsDigit(safe[0]))
        {
            safe = "db_" + safe;
        }

        return safe.Length > 63 ? safe[..63] : safe;
    }

    [GeneratedRegex("[^a-z0-9_]")]
    private static partial Regex UnsafeChars();
}
