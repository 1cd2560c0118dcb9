using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Pacs.Gateway;
using Pacs.Gateway.Admin;
using Pacs.Gateway.Audit;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Dimse;
using Pacs.Gateway.Ingest;
using Pacs.Gateway.Reports;
using Pacs.Gateway.Transport;
using Pacs.Gateway.Viewer;
using Pacs.Hosting;
using Pacs.Index;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddLogLevelDefaults();
builder.Services.AddOptions<GatewayHostOptions>().BindConfiguration(GatewayHostOptions.Section).ValidateDataAnnotations().ValidateOnStart();

// Orleans is configured before the container exists, so read the same section directly here.
var pacs = builder.Configuration.GetSection(GatewayHostOptions.Section).Get<GatewayHostOptions>() ?? new GatewayHostOptions();
if (string.IsNullOrWhiteSpace(pacs.Database))
{
    Console.Error.WriteLine("Pacs:Database must hold the archive's PostgreSQL connection string.");
    return 2;
}

builder.Logging.AddSimpleConsole(console =>
{
    console.SingleLine = true;
    console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
    console.UseUtcTimestamp = true;
});

// The Orleans dashboard (docs/operations.md, "Orleans dashboard"): served to admins at /admin/orleans when on; the
// silos must have it on too (they collect what it shows).
var orleansDashboard = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>()?.OrleansDashboard == true;

builder.Services.AddArchiveDatabase(pacs.Database);
builder.UseOrleansClient(client =>
{
    client.Configure<ClusterOptions>(cluster =>
    {
        cluster.ClusterId = pacs.ClusterId;
        cluster.ServiceId = pacs.ServiceId;
    });
    client.UseArchiveClustering(pacs.Database);
    client.UseConnectionRetryFilter<ClusterConnectionRetry>();
    // docs/operations.md, "Riding through a silo's failure": the gateway list is read every second, so that the
    // connection to a silo the membership table declared dead (a hung one does not close it) is closed within a second,
    // which is what tells GrainCalls to ask again. The response timeout is only the last resort for a call nothing
    // else ends (GrainCalls ask again on a lost silo connection and on a rejection long before it).
    client.Configure<GatewayOptions>(gateways => gateways.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
    client.Configure<ClientMessagingOptions>(messaging => messaging.ResponseTimeout = TimeSpan.FromSeconds(15));
    client.Services.Configure<GatewayOptions>(builder.Configuration.GetSection("Orleans:Gateway"));
    client.Services.Configure<ClientMessagingOptions>(builder.Configuration.GetSection("Orleans:Messaging"));
    if (orleansDashboard)
    {
        client.AddDashboard(OrleansDashboardEndpoints.Configure);
    }
});

builder.Services.AddGrainCalls();
builder.Services.AddArchiveIngest();
// Kestrel's sockets receive into blocks of this pool (LargeBlockMemoryPool.cs: fewer, larger receives per instance).
builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
builder.Services.AddDimseServices();
builder.Services.AddTransportSecurity(builder.Configuration);
builder.WebHost.ListenGateway(pacs, builder.Configuration);
builder.Services.AddArchiveAdmin();
builder.Services.AddDicomWeb();
builder.Services.AddViewer();
builder.Services.AddReports();

// Telemetry (docs/operations.md, "Observability"): traces and metrics of the DIMSE layer, the ingest funnel, the Orleans
// client, Npgsql and ASP.NET Core; Prometheus on the management port (9464 unless Pacs:Telemetry:MetricsPort says otherwise).
var metricsPort = builder.AddHostTelemetry("pacs-gateway", $"{Environment.MachineName}:{pacs.DicomPort}", defaultMetricsPort: 9464);

builder.Services.AddAuditTrail();
builder.Services.AddArchivePolicies();
builder.Services.AddAccountsAuthentication(builder.Configuration, pacs.Production);
builder.Services.AddHealthChecks()
    .AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"])
    .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);

var app = builder.Build();
app.UseManagementPort(metricsPort); // before everything else: the management port serves /metrics and nothing more
// Fails start-up in production without a signing key (docs/security.md).
_ = app.Services.GetRequiredService<SigningKeys>();
// Fails start-up when the configured report signing certificate cannot be read (docs/operations.md, "Report signing").
_ = app.Services.GetRequiredService<ReportSigner>();
app.UseTransportSecurity();
// 503 + Retry-After, not 500, for a request whose grain calls a silo's failure left unanswered.
app.UseMiddleware<Pacs.Gateway.Cluster.ClusterUnavailableMiddleware>();
app.UseAuthentication();
app.UseSameOriginCheck();
// One audit record per recorded request, refused ones included (docs/security.md, "Audit trail").
app.UseAuditTrail();
app.UseAuthorization();
app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
app.MapAuth();
app.MapArchiveAdmin();
app.MapConflicts();
app.MapReindex();
app.MapImport();
app.MapAuditTrail();
app.MapDicomWeb();
app.MapReports();
app.MapWorklist();
app.MapReportTemplates();
app.MapReportMacros();
app.MapReportingPages();
if (orleansDashboard)
{
    app.MapOrleansDashboardForAdmins();
}
app.MapApiFallbacks();
app.MapViewer(); // catch-all GET for the OHIF viewer: keep it after every API route

_ = app.Services.GetRequiredService<IOptions<GatewayHostOptions>>().Value;
await app.RunAsync();
return 0;
