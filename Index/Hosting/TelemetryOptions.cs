namespace Pacs.Hosting;

/// <summary>Section "Pacs:Telemetry" of both hosts (docs/operations.md, "Observability").</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Pacs:Telemetry";

    /// <summary>False: no traces, no metrics, no scrape endpoint (the OpenTelemetry SDK is not started at all).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The share of new traces recorded (0 to 1), parent-based: a span whose caller's trace was sampled is recorded, one
    /// whose caller's was not is not, whatever this ratio. OTEL_TRACES_SAMPLER_ARG sets it when this is not set; when
    /// neither is, 1 if traces are exported (OTEL_EXPORTER_OTLP_ENDPOINT) and 0 if not (<see cref="HostTelemetry.SamplingRatio"/>).
    /// </summary>
    public double? SamplingRatio { get; set; }

    /// <summary>The management port serving Prometheus' <c>/metrics</c> (never the public HTTP port); 0 turns it off; unset: the host's default.</summary>
    public int? MetricsPort { get; set; }

    /// <summary>The address the management port listens on.</summary>
    public string MetricsBindAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// The Orleans dashboard: collected on every silo and served to admins at <c>/admin/orleans</c> on every gateway.
    /// Both hosts must agree. Off by default: it adds a filter to every grain call and a per-second collection on every
    /// silo, for a view Prometheus and Grafana already give (docs/operations.md, "Orleans dashboard").
    /// </summary>
    public bool OrleansDashboard { get; set; }

    /// <summary>service.instance.id of the resource; unset: the host's name for itself.</summary>
    public string? ServiceInstanceId { get; set; }
}
