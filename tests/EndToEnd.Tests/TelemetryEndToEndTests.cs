using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Telemetry of the running processes (docs/operations.md, "Observability"): Prometheus on the management ports, not on
/// the public one, and OTLP/HTTP export to a receiver when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// </summary>
[Collection(ArchiveCollection.Name)]
public sealed class TelemetryEndToEndTests(ArchiveFixture archive)
{
    private string CorpusFile => Path.Combine(archive.RepoRoot, "tests", "Dicom.Tests", "Corpus", "test_files", "CT_small.dcm");

    [Fact]
    public async Task PublicPort_Metrics_IsProblemDetails404NotTheViewer()
    {
        using var response = await archive.Anonymous.GetAsync($"{archive.BaseUrl}/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("pacs_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManagementPorts_AfterAStore_ServePacsMetricsInPrometheusFormat()
    {
        var (code, output) = await ChildProcess.RunAsync("storescu", ["-nh", "-aec", ArchiveFixture.AeTitle, "127.0.0.1",
            archive.DicomPort.ToString(System.Globalization.CultureInfo.InvariantCulture), CorpusFile]);
        Assert.True(code == 0, output);
        // A refused association (called AE title not ours, PS3.8 9.3.4) is counted by reason.
        await ChildProcess.RunAsync("echoscu", ["-aec", "NOT_THIS_ONE", "127.0.0.1", archive.DicomPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        var gateway = await ScrapeAsync(archive.GatewayMetricsPort);
        Assert.Matches(@"(?m)^pacs_dimse_associations_refused_total\{[^}]*reason=""called-ae-not-recognized""[^}]*\} [1-9]", gateway);
        Assert.Matches(@"(?m)^pacs_ingest_instances_total\{[^}]*outcome=""(stored|duplicate|replaced)""[^}]*\} [1-9]", gateway);
        Assert.Matches(@"(?m)^pacs_ingest_bytes_total(\{[^}]*\})? [1-9]", gateway);
        Assert.Contains("pacs_ingest_stage_duration_seconds_bucket{", gateway, StringComparison.Ordinal);
        Assert.Contains("stage=\"index_commit\"", gateway, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^pacs_dimse_operation_duration_seconds_count\{[^}]*dicom_command=""C-STORE""", gateway);
        Assert.Contains("pacs_dimse_associations_active", gateway, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", gateway, StringComparison.Ordinal);

        var silo = await ScrapeAsync(archive.SiloMetricsPort);
        Assert.Matches(@"(?m)^pacs_study_commit_instances_total(\{[^}]*\})? [1-9]", silo);
        Assert.Contains("orleans_", silo, StringComparison.Ordinal);

        // The management port serves nothing else: not the API, not the viewer.
        using var http = new HttpClient();
        using var other = await http.GetAsync($"http://127.0.0.1:{archive.GatewayMetricsPort}/dicom-web/studies");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task OtlpEndpointSet_GatewayExportsTheStoresSpansAndMetricsOverHttp()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var receiverPort = ChildProcess.FreePort();
        var receiver = WebApplication.CreateSlimBuilder();
        receiver.WebHost.UseUrls($"http://127.0.0.1:{receiverPort}");
        receiver.Logging.ClearProviders();
        await using var app = receiver.Build();
        app.MapPost("/v1/{signal}", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            received.Enqueue((http.Request.Path.Value!, body.ToArray()));
            // An empty Export*ServiceResponse: success (OTLP/HTTP, binary protobuf).
            http.Response.ContentType = "application/x-protobuf";
        });
        await app.StartAsync();

        var httpPort = ChildProcess.FreePort();
        var dicomPort = ChildProcess.FreePort();
        using var gateway = archive.StartGateway(httpPort, dicomPort, 0, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{receiverPort}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
        });
        await archive.WaitReadyAsync(gateway, $"http://127.0.0.1:{httpPort}/health/ready", "gateway with OTLP export");

        var (code, output) = await ChildProcess.RunAsync("storescu", ["-nh", "-aet", "OTLPTEST", "-aec", ArchiveFixture.AeTitle, "127.0.0.1",
            dicomPort.ToString(System.Globalization.CultureInfo.InvariantCulture), CorpusFile]);
        Assert.True(code == 0, output);

        // Protobuf carries strings as UTF-8 bytes: span names, attribute values and metric names are found as such. A
        // trace's spans may come in several exports (each batch holds the spans ended by then).
        bool Has(string path, params string[] texts)
        {
            var bodies = received.Where(r => r.Path == path).Select(r => r.Body).ToList();
            return texts.All(t => bodies.Any(b => Contains(b, t)));
        }


        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !(Has("/v1/traces", "C-STORE", "OTLPTEST", "ingest commit") && Has("/v1/metrics", "pacs.ingest.instances")))
        {
            await Task.Delay(200);
        }

        Assert.True(Has("/v1/traces", "pacs-gateway", "C-STORE", "OTLPTEST", "ingest receive", "ingest commit", "blob flush", "index commit"),
            $"no trace of the C-STORE among {string.Join(", ", received.Select(r => r.Path))}:\n{gateway.Output}");
        Assert.True(Has("/v1/metrics", "pacs-gateway", "pacs.ingest.instances", "pacs.dimse.operation.duration"),
            $"no ingest metrics among {received.Count} exports");
        await app.StopAsync();
    }

    private static async Task<string> ScrapeAsync(int port)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}
