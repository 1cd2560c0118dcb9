using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Pacs.Hosting;

/// <summary>
/// OpenTelemetry for both hosts (docs/operations.md, "Observability"): one resource (service.name, service.instance.id),
/// traces from our sources ("Pacs.*"), Orleans (activity propagation between client and silo), ASP.NET Core and
/// Npgsql; metrics from our meters, Orleans, ASP.NET Core, Npgsql, the .NET runtime and the process. OTLP export only
/// when OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OTEL_* variables configure it: protocol, headers, timeouts);
/// Prometheus' scrape endpoint on a management port of its own, never on the public HTTP port. Log lines carry the
/// trace and span ids of the request or operation they were written in.
/// </summary>
public static class HostTelemetry
{
    /// <summary>Orleans 10's sources: grain calls (client and server side), the application's, and grain storage.</summary>
    private static readonly string[] OrleansSources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Microsoft.Orleans.Storage"];

    /// <summary>
    /// Instruments recorded on every request, statement or socket write that no dashboard, alert or document uses,
    /// dropped: a dropped instrument is never enabled, so recording it returns at once. Each measurement costs the
    /// SDK a lookup of its tag set; metrics were the larger half of telemetry's cost per QIDO request in the gateway's
    /// profile (docs/benchmarks.md, "Where a QIDO request's telemetry cost goes"). What they counted stays visible:
    /// routing failures and refusals as status codes of <c>http.server.request.duration</c>, refusals in the audit
    /// trail, statement latency in <c>db.client.operation.duration</c>.
    /// </summary>
    private static readonly string[] DroppedInstruments =
    [
        "aspnetcore.routing.match_attempts",
        "aspnetcore.authentication.authenticate.duration",
        "aspnetcore.authorization.attempts",
        "db.client.operation.npgsql.executing",
        "db.client.operation.npgsql.bytes_written",
        "db.client.operation.npgsql.bytes_read",
    ];

    /// <summary>
    /// Wires telemetry into <paramref name="builder"/> and returns the management port (0: none). Call
    /// <see cref="UseManagementPort"/> on the built application first thing, so that the port serves nothing else.
    /// </summary>
    public static int AddHostTelemetry(this WebApplicationBuilder builder, string serviceName, string defaultInstanceId, int defaultMetricsPort)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

        // Every log line written inside a span carries its ids (as a scope: the console shows them, OTLP exports them).
        builder.Logging.Configure(logging => logging.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (!options.Enabled)
        {
            return 0;
        }

        var ratio = SamplingRatio(options, builder.Configuration);
        if (ratio is < 0 or > 1 or double.NaN)
        {
            throw new InvalidOperationException($"{TelemetryOptions.Section}:SamplingRatio must lie between 0 and 1, not {ratio}.");
        }

        var metricsPort = options.MetricsPort ?? defaultMetricsPort;
        if (metricsPort is < 0 or > 65535)
        {
            throw new InvalidOperationException($"{TelemetryOptions.Section}:MetricsPort must be a TCP port or 0, not {metricsPort}.");
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: options.ServiceInstanceId ?? defaultInstanceId))
            .WithTracing(tracing => tracing
                .SetSampler(new ArchiveSampler(ratio))
                .AddSource("Pacs.*")
                .AddSource(OrleansSources)
                // Probes and scrapes every few seconds are no one's request.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddNpgsql())
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter("Pacs.*")
                    .AddMeter("Microsoft.Orleans")
                    .AddAspNetCoreInstrumentation()
                    .AddNpgsqlInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddProcessInstrumentation();
                foreach (var instrument in DroppedInstruments)
                {
                    metrics.AddView(instrument, MetricStreamConfiguration.Drop);
                }

                if (metricsPort > 0)
                {
                    metrics.AddPrometheusExporter();
                }
            });

        if (ExportsTraces(builder.Configuration))
        {
            // Traces, metrics and logs, over gRPC or HTTP as OTEL_EXPORTER_OTLP_PROTOCOL says.
            telemetry.UseOtlpExporter();
        }

        if (metricsPort > 0)
        {
            var address = IPAddress.Parse(options.MetricsBindAddress);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, metricsPort));
        }

        return metricsPort;
    }

    /// <summary>
    /// The share of new traces recorded: <see cref="TelemetryOptions.SamplingRatio"/>, else OTEL_TRACES_SAMPLER_ARG, else
    /// 1 when the traces are exported (OTEL_EXPORTER_OTLP_ENDPOINT) and 0 when they are not. A recorded span that no
    /// exporter takes is work for nothing (about 10 spans per C-STORE, a tenth of the hosts' CPU per stored instance:
    /// docs/benchmarks.md, "store-4 at 2× Orthanc"); an unrecorded one still carries its trace id to the log lines.
    /// </summary>
    public static double SamplingRatio(TelemetryOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        return options.SamplingRatio
            ?? (double.TryParse(configuration["OTEL_TRACES_SAMPLER_ARG"], NumberStyles.Float, CultureInfo.InvariantCulture, out var arg) ? arg
                : ExportsTraces(configuration) ? 1.0 : 0.0);
    }

    private static bool ExportsTraces(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    /// <summary>
    /// The management port answers <c>/metrics</c> (Prometheus text format) and 404 to everything else; the public
    /// ports never see it (their <c>/metrics</c> is whatever the host's own routes answer: a 404 on the gateway).
    /// </summary>
    public static void UseManagementPort(this WebApplication app, int metricsPort)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (metricsPort <= 0)
        {
            return;
        }

        app.MapWhen(http => http.Connection.LocalPort == metricsPort, management =>
        {
            management.UseOpenTelemetryPrometheusScrapingEndpoint();
            management.Run(http =>
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
    }
}
