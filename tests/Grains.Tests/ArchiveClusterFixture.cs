using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Hosting;
using Orleans.TestingHost;
using Pacs.Grains.Persistence;
using Pacs.Hosting;
using Pacs.Index.Schema;
using Pacs.Testing;

namespace Pacs.Grains.Tests;

/// <summary>
/// A two-silo in-process Orleans cluster whose membership, grain state and reminders live in a real
/// PostgreSQL database migrated by <see cref="SchemaMigrator"/>.
/// </summary>
public class ArchiveClusterFixture : IAsyncLifetime
{
    private const string DatabaseKey = "PacsTest:Database";

    private readonly DuplicatePolicy _policy;
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private PostgresServer? _server;

    public ArchiveClusterFixture()
        : this(DuplicatePolicy.Replace)
    {
    }

    /// <param name="policy">The duplicate policy of the silos.</param>
    /// <param name="settings">More host configuration of the silos (e.g. Pacs:Accounts:*).</param>
    protected ArchiveClusterFixture(DuplicatePolicy policy, IReadOnlyDictionary<string, string?>? settings = null)
    {
        _policy = policy;
        _settings = settings ?? new Dictionary<string, string?>();
    }

    /// <summary>The private PostgreSQL server (tests stop and restart it).</summary>
    public PostgresServer Server => _server ?? throw new InvalidOperationException("The fixture did not start.");

    public TestCluster Cluster { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public string ServiceId { get; } = "pacs-test-" + Guid.NewGuid().ToString("N")[..8];

    public virtual async Task InitializeAsync()
    {
        _server = await PostgresServer.StartNewAsync();
        ConnectionString = await _server.CreateDatabaseAsync("orleans_cluster");
        // A session time zone far from UTC, to show the providers' timestamps do not depend on it
        // (Npgsql sends UTC DateTimes as timestamptz; the membership test checks IAmAliveTime).
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("ALTER DATABASE orleans_cluster SET timezone TO 'Pacific/Kiritimati'", connection);
            await command.ExecuteNonQueryAsync();
        }

        await new SchemaMigrator(ConnectionString).MigrateAsync();

        var builder = new TestClusterBuilder(2);
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ConfigureFileLogging = false;
        builder.Options.ServiceId = ServiceId;
        builder.ConfigureHostConfiguration(configuration => configuration.AddInMemoryCollection(
            new Dictionary<string, string?>
            {
                [DatabaseKey] = ConnectionString,
                [ArchiveGrainOptions.Section + ":" + nameof(ArchiveGrainOptions.DuplicatePolicy)] = _policy.ToString(),
            }.Concat(_settings)));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        await Cluster.DeployAsync().WaitAsync(timeout.Token);
    }

    public virtual async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var database = siloBuilder.Configuration[DatabaseKey]!;
            siloBuilder.UseArchiveStorage(database);
            siloBuilder.Services.AddSingleton(_ => NpgsqlDataSource.Create(database));
            siloBuilder.AddArchiveGrains();
            // Orleans' floor is one minute; the reminder test needs to see a tick within seconds.
            siloBuilder.Services.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.UseArchiveClustering(configuration[DatabaseKey]!);
    }
}
