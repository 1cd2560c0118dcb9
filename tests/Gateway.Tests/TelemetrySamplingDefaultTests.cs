using Microsoft.Extensions.Configuration;
using Pacs.Hosting;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The share of traces the hosts record when none is configured: all of them when they are exported, none when
/// nothing would take them (docs/operations.md, "Observability", sampling).
/// </summary>
public sealed class TelemetrySamplingDefaultTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void SamplingRatio_NothingSetAndNoExporter_RecordsNone() =>
        Assert.Equal(0.0, HostTelemetry.SamplingRatio(new TelemetryOptions(), Configuration()));

    [Fact]
    public void SamplingRatio_NothingSetAndOtlpEndpoint_RecordsAll() =>
        Assert.Equal(1.0, HostTelemetry.SamplingRatio(new TelemetryOptions(), Configuration(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"))));

    [Fact]
    public void SamplingRatio_SamplerArgWithoutExporter_ThatShare() =>
        Assert.Equal(0.25, HostTelemetry.SamplingRatio(new TelemetryOptions(), Configuration(("OTEL_TRACES_SAMPLER_ARG", "0.25"))));

    [Fact]
    public void SamplingRatio_OptionSet_WinsOverExporterAndSamplerArg() =>
        Assert.Equal(0.5, HostTelemetry.SamplingRatio(new TelemetryOptions { SamplingRatio = 0.5 },
            Configuration(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"), ("OTEL_TRACES_SAMPLER_ARG", "0.25"))));

    [Fact]
    public void SamplingRatio_OptionZeroWithExporter_RecordsNone() =>
        Assert.Equal(0.0, HostTelemetry.SamplingRatio(new TelemetryOptions { SamplingRatio = 0 },
            Configuration(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"))));
}
