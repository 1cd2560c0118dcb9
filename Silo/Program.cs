using System.Net;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Pacs.Grains;
using Pacs.Grains.Accounts;
using Pacs.Grains.Persistence;
using Pacs.Hosting;
using Pacs.Index.Schema;
using Pacs.Silo;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddLogLevelDefaults();
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
{
    ["--database"] = "Pacs:Database",
    ["--cluster-id"] = "Pacs:ClusterId",
    ["--service-id"] = "Pacs:ServiceId",
    ["--silo-name"] = "Pacs:SiloName",
    ["--silo-port"] = "Pacs:SiloPort",
    ["--gateway-port"] = "Pacs:GatewayPort",
    ["--http-port"] = "Pacs:HttpPort",
    ["--data"] = "Pacs:DataDirectory",
});
builder.Services.AddOptions<SiloHostOptions>().BindConfiguration(SiloHostOptions.Section).ValidateDataAnnotations().ValidateOnStart();

// Orleans is configured before the container exists, so read the same section directly here.
var pacs = builder.Configuration.GetSection(SiloHostOptions.Section).Get<SiloHostOptions>() ?? new SiloHostOptions();
if (string.IsNullOrWhiteSpace(pacs.Database))
{
    Console.Error.WriteLine("Pacs:Database (or --database) must hold the archive's PostgreSQL connection string.");
    return 2;
}

if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls($"http://127.0.0.1:{pacs.HttpPort}");
}

builder.Logging.AddSimpleConsole(console =>
{
    console.SingleLine = true;
    console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
    console.UseUtcTimestamp = true;
});
// Leave the cluster cleanly (membership status Dead, grains deactivated) before being killed.
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));

// The kubelet sets KUBERNETES_SERVICE_HOST in every pod, and deploy-k8s/ gives the silo its POD_NAME from the downward
// API: both, or the silo runs as on a plain host (a silo started by hand inside some pod, or ./pacs up in a dev
// container, has no pod identity for Kubernetes hosting to use).
var inKubernetes = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"))
    && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("POD_NAME"));

var siloName = pacs.SiloName ?? $"silo-{pacs.SiloPort}";
builder.Services.AddArchiveDatabase(pacs.Database);
builder.Services.AddSingleton(services => new SchemaMigrator(pacs.Database, services.GetRequiredService<ILogger<SchemaMigrator>>()));
builder.UseOrleans(silo =>
{
    silo.Configure<ClusterOptions>(cluster =>
    {
        cluster.ClusterId = pacs.ClusterId;
        cluster.ServiceId = pacs.ServiceId;
    });
    silo.Configure<SiloOptions>(options => options.SiloName = siloName);
    if (inKubernetes)
    {
        // deploy-k8s/: the silo is named after its pod, advertises the pod's IP and listens on every address
        // (POD_NAME, POD_NAMESPACE, POD_IP from the downward API); ORLEANS_SERVICE_ID and ORLEANS_CLUSTER_ID, taken
        // from the pod's orleans/serviceId and orleans/clusterId labels, override Pacs:ServiceId and Pacs:ClusterId.
        // The pod watch also declares a deleted pod's silo dead at once. Membership stays on PostgreSQL (below).
        silo.Configure<EndpointOptions>(endpoints =>
        {
            endpoints.SiloPort = pacs.SiloPort;
            endpoints.GatewayPort = pacs.GatewayPort;
        });
        silo.UseKubernetesHosting();
    }
    else
    {
        silo.ConfigureEndpoints(IPAddress.Parse(pacs.AdvertisedAddress), pacs.SiloPort, pacs.GatewayPort, listenOnAnyHostAddress: false);
    }
    // Failure detection in seconds, not minutes (docs/operations.md, "Cluster membership" and "Riding through a silo's
    // failure"): a dead silo's grains are unreachable until it is declared dead, and every C-STORE for its studies waits
    // meanwhile. Probes adapt their timeout to the measured round trip between Min and Max; three misses suspect the
    // silo (one vote declares it dead in a two-silo cluster). A killed silo refuses the probes at once: dead in about
    // 1.5-3 s. A hung one times them out, and its connection's last message shields it for Max x 3 = 6 s
    // (EnableConnectionLivenessCheck): dead in about 6-7 s. The price: a silo starved of CPU for longer than that is
    // declared dead too (and stops itself); the measurement of a merely slow silo is in docs/operations.md.
    silo.Configure<ClusterMembershipOptions>(membership =>
    {
        membership.ProbeTimeout = TimeSpan.FromSeconds(1);
        membership.MinProbeTimeout = TimeSpan.FromMilliseconds(500);
        membership.MaxProbeTimeout = TimeSpan.FromSeconds(2);
        membership.NumMissedProbesLimit = 3;
        membership.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
        membership.NumMissedTableIAmAliveLimit = 3;
        membership.TableRefreshTimeout = TimeSpan.FromSeconds(10);
        membership.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
        membership.DefunctSiloExpiration = TimeSpan.FromDays(1);
        membership.DefunctSiloCleanupPeriod = TimeSpan.FromHours(1);
    });
    // Operators may override any of them (Orleans:ClusterMembership:ProbeTimeout=00:00:05, ...).
    silo.Services.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection("Orleans:ClusterMembership"));
    silo.UseArchiveStorage(ArchiveDatabase.Tune(pacs.Database));
    silo.AddArchiveGrains();
    // The Orleans dashboard's collection (docs/operations.md, "Orleans dashboard"); the gateways serve its page to
    // admins. Off unless Pacs:Telemetry:OrleansDashboard, as on the gateways.
    if (builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>()?.OrleansDashboard == true)
    {
        silo.AddDashboard();
    }
});

// Telemetry (docs/operations.md, "Observability"): Orleans (grain calls joined to the gateways' traces), Npgsql, ASP.NET
// Core and our grains' meters; Prometheus on the management port (9465 unless Pacs:Telemetry:MetricsPort says otherwise).
var metricsPort = builder.AddHostTelemetry("pacs-silo", $"{Environment.MachineName}:{siloName}", defaultMetricsPort: 9465);
builder.WebHost.ListenConfiguredUrls(builder.Configuration);

builder.Services.AddHealthChecks()
    .AddCheck<SiloActiveHealthCheck>("silo", tags: ["ready"])
    .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);

var app = builder.Build();
app.UseManagementPort(metricsPort); // before everything else: the management port serves /metrics and nothing more
app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });

// Fail on bad settings before touching the database; then put the schema in place, because Orleans
// reads its queries from OrleansQuery as the silo starts.
_ = app.Services.GetRequiredService<IOptions<SiloHostOptions>>().Value;
using (var migrationTimeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
{
    await app.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(migrationTimeout.Token);
    // Issue 12, first run: an admin account from PACS_ADMIN_PASSWORD, or a generated password (docs/security.md).
    await AccountBootstrap.EnsureFirstAdminAsync(app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), builder.Configuration["PACS_ADMIN_PASSWORD"],
        pacs.DataDirectory, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Pacs.Accounts"), migrationTimeout.Token);
}

await app.RunAsync();
return 0;
