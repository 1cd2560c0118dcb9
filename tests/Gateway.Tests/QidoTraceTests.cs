using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Pacs.Gateway.DicomWeb;
using Pacs.Grains.Accounts;
using Pacs.Hosting;
using Pacs.Index.Read;

namespace Pacs.Gateway.Tests;

/// <summary>
/// A QIDO-RS request through the hosts' telemetry wiring (<see cref="HostTelemetry.AddHostTelemetry"/>: its sampler,
/// sources and instrumentation) on Kestrel, answered by the real <see cref="QidoResource"/> and <see cref="IndexReader"/>
/// from a real PostgreSQL: a recorded request carries its SQL statement as a child span, and an unrecorded one costs no
/// span objects below the request's own (docs/operations.md, "Observability", sampling).
/// </summary>
[Collection(IndexDatabaseCollection.Name)]
public sealed class QidoTraceTests(IndexDatabaseFixture fixture)
{
    private const string Path = "/dicom-web/studies";

    [Fact]
    public async Task Qido_RemoteParentSampled_ServerSpanCarriesItsSqlChildSpan()
    {
        await using var host = await QidoHost.StartAsync(fixture, samplingRatio: 0.1);
        var parent = ActivityTraceId.CreateRandom();
        var parentSpan = ActivitySpanId.CreateRandom();

        await host.GetAsync($"00-{parent.ToHexString()}-{parentSpan.ToHexString()}-01");

        var server = await host.WaitForAsync(s => s.TraceId == parent && s.Kind == ActivityKind.Server);
        Assert.Equal("Microsoft.AspNetCore", server.Source.Name);
        Assert.Equal(parentSpan, server.ParentSpanId);
        Assert.True(server.Recorded);
        // The statement's span (the first request may also open a connection: a "CONNECT" span beside it).
        var sql = await host.WaitForAsync(s => s.TraceId == parent && IsStatement(s));
        Assert.Equal(server.SpanId, sql.ParentSpanId);
        Assert.Equal(ActivityKind.Client, sql.Kind);
        Assert.Contains("pacs_studies", (string)sql.GetTagItem("db.query.text")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Qido_RootsSampledByRatio_EveryRecordedRequestCarriesItsSqlChildSpan()
    {
        const int Requests = 40;
        await using var host = await QidoHost.StartAsync(fixture, samplingRatio: 0.5);

        for (var i = 0; i < Requests; i++)
        {
            await host.GetAsync(traceparent: null);
        }

        // The server span ends after the response went out: give the last ones a moment.
        await Task.Delay(500);
        var servers = host.Spans.Where(s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server).ToList();
        // Half the new traces are recorded: none or all of 40 would have a chance of 2^-40 each.
        Assert.InRange(servers.Count, 1, Requests - 1);
        foreach (var server in servers)
        {
            Assert.Equal(default, server.ParentSpanId);
            var sql = await host.WaitForAsync(s => s.TraceId == server.TraceId && IsStatement(s));
            Assert.Equal(server.SpanId, sql.ParentSpanId);
        }

        // Nothing of the unrecorded requests: every SQL span recorded belongs to a recorded request.
        var recordedTraces = servers.Select(s => s.TraceId).ToHashSet();
        Assert.All(host.Spans.Where(s => s.Source.Name == "Npgsql"), s => Assert.Contains(s.TraceId, recordedTraces));
    }

    [Fact]
    public async Task Qido_RemoteParentNotSampled_NoSpanRecordedAndNoSqlActivityCreated()
    {
        await using var host = await QidoHost.StartAsync(fixture, samplingRatio: 1.0);
        // Sees every Npgsql activity that any listener caused to be created, and asks for none itself (an activity is
        // created when one listener wants it).
        var created = new ConcurrentQueue<Activity>();
        using var watch = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStarted = created.Enqueue,
        };
        ActivitySource.AddActivityListener(watch);
        var parent = ActivityTraceId.CreateRandom();

        // The caller decided not to record this trace: parent-based sampling follows it whatever the ratio.
        await host.GetAsync($"00-{parent.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-00");
        // A recorded request after it, so that the wait below ends on something that did arrive.
        var sampled = ActivityTraceId.CreateRandom();
        await host.GetAsync($"00-{sampled.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        await host.WaitForAsync(s => s.TraceId == sampled && s.Kind == ActivityKind.Server);

        Assert.DoesNotContain(host.Spans, s => s.TraceId == parent);
        Assert.DoesNotContain(created, s => s.TraceId == parent);
        Assert.Contains(created, s => s.TraceId == sampled);
    }

    [Fact]
    public async Task Statement_WithoutParentSpan_NoSqlActivityCreated()
    {
        await using var host = await QidoHost.StartAsync(fixture, samplingRatio: 1.0);
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        // A pooled connection first: opening one is a span of its own (Npgsql's physical open tracing), not watched here.
        await using (var warm = dataSource.CreateCommand("select 1"))
        {
            await warm.ExecuteScalarAsync();
        }

        var created = new ConcurrentQueue<Activity>();
        using var watch = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStarted = created.Enqueue,
        };
        ActivitySource.AddActivityListener(watch);

        // Background work (the audit writer, the reconciler) runs outside any request: no span to hang from. The
        // sampler would drop such a root, but OpenTelemetry still creates its activity; the data source never asks.
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            await using var command = dataSource.CreateCommand("select count(*) from pacs_studies");
            Assert.True((long)(await command.ExecuteScalarAsync())! >= 1);
        }
        finally
        {
            Activity.Current = previous;
        }

        // Inside a recorded span the same statement is traced.
        using (var parent = GatewayTelemetry.Source.StartActivity("test parent"))
        {
            Assert.NotNull(parent);
            Assert.True(parent.Recorded);
            await using var command = dataSource.CreateCommand("select 1");
            await command.ExecuteScalarAsync();
        }

        var sql = Assert.Single(created, a => !a.OperationName.StartsWith("CONNECT", StringComparison.Ordinal));
        Assert.NotEqual(default, sql.ParentSpanId);
        Assert.Equal(ArchiveDatabase.Name, sql.GetTagItem("db.npgsql.data_source"));
    }

    [Fact]
    public async Task Qido_DroppedInstruments_NotEnabledWhileRequestDurationIs()
    {
        await using var host = await QidoHost.StartAsync(fixture, samplingRatio: 0.1);
        await host.GetAsync(traceparent: null);
        // Sees every instrument published, enables none: Enabled says whether the hosts' meter provider listens.
        var instruments = new ConcurrentDictionary<string, Instrument>();
        using var meters = new MeterListener { InstrumentPublished = (instrument, _) => instruments[instrument.Name] = instrument };
        meters.Start();

        Assert.True(instruments["http.server.request.duration"].Enabled);
        Assert.True(instruments["db.client.operation.duration"].Enabled);
        Assert.False(instruments["aspnetcore.routing.match_attempts"].Enabled);
        Assert.False(instruments["aspnetcore.authorization.attempts"].Enabled);
        Assert.False(instruments["db.client.operation.npgsql.bytes_read"].Enabled);
        Assert.False(instruments["db.client.operation.npgsql.executing"].Enabled);
    }

    private static bool IsStatement(Activity span) => span.Source.Name == "Npgsql" && span.GetTagItem("db.query.text") is string;

    /// <summary>A Kestrel host with the gateway's telemetry and the QIDO study search, its ended spans collected.</summary>
    private sealed class QidoHost : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _http;

        private QidoHost(WebApplication app, HttpClient http, ConcurrentQueue<Activity> spans)
        {
            _app = app;
            _http = http;
            Spans = spans;
        }

        public ConcurrentQueue<Activity> Spans { get; }

        public IServiceProvider Services => _app.Services;

        public static async Task<QidoHost> StartAsync(IndexDatabaseFixture fixture, double samplingRatio)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{TelemetryOptions.Section}:SamplingRatio"] = samplingRatio.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [$"{TelemetryOptions.Section}:MetricsPort"] = "0",
            });
            builder.AddHostTelemetry("pacs-gateway-test", "qido-trace-test", defaultMetricsPort: 0);
            var spans = new ConcurrentQueue<Activity>();
            builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new Collector(spans)));
            // A metric reader, as the management port's Prometheus exporter would be (without one nothing is enabled).
            builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddReader(new PeriodicExportingMetricReader(new NoExporter(), 60_000)));
            // The hosts' own data source (name, tracing filter) on the fixture's database.
            builder.Services.AddArchiveDatabase(fixture.ConnectionString);
            builder.Services.AddSingleton<IndexReader>();
            builder.Services.AddOptions<DicomWebOptions>();
            builder.Services.AddAuthorization();
            builder.Services.AddAuthentication(TestRoleAuthenticationHandler.SchemeName)
                .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TestRoleAuthenticationHandler>(TestRoleAuthenticationHandler.SchemeName, null);
            var app = builder.Build();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapGet(Path, QidoResource.SearchStudiesAsync).RequireAuthorization();
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            // No trace headers of the test process's own: only those a test sets.
            var http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
            return new QidoHost(app, http, spans);
        }

        public async Task GetAsync(string? traceparent)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Path}?limit=10");
            request.Headers.Add(TestRoleAuthenticationHandler.Header, Roles.Admin);
            if (traceparent is not null)
            {
                request.Headers.Add("traceparent", traceparent);
            }

            using var response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("[", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        public async Task<Activity> WaitForAsync(Func<Activity, bool> match)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                if (Spans.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                await Task.Delay(20);
            }

            throw new TimeoutException($"no such span among {Spans.Count}: {string.Join(", ", Spans.Select(s => $"{s.Source.Name} '{s.DisplayName}'"))}");
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await _app.DisposeAsync();
        }
    }

    /// <summary>Metrics exported nowhere.</summary>
    private sealed class NoExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }

    /// <summary>Every span that ends recorded, as an exporter would receive it.</summary>
    private sealed class Collector(ConcurrentQueue<Activity> spans) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => spans.Enqueue(data);
    }
}
