using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Gateway.Dimse;
using Pacs.Gateway.Ingest;
using Pacs.Gateway.Storage;
using Pacs.Gateway.Tests.Cluster;
using Pacs.Grains.Tests;
using Pacs.Index;

namespace Pacs.Gateway.Tests;

/// <summary>
/// One C-STORE through the gateway's DIMSE layer and ingest funnel into the in-process two-silo cluster on PostgreSQL,
/// recorded by an in-process listener: one trace from the DIMSE operation through the ingest stages and the grain call
/// (Orleans activity propagation, client to silo) to the study grain's PostgreSQL statements; and the metrics move.
/// </summary>
public sealed class TelemetryTraceTests : IClassFixture<ArchiveClusterFixture>, IAsyncLifetime
{
    private const string CallingAe = "TRACETEST";
    private readonly ArchiveClusterFixture _fixture;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pacs-trace-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;
    private NpgsqlDataSource? _dataSource;
    private DicomServer? _server;

    public TelemetryTraceTests(ArchiveClusterFixture fixture)
    {
        _fixture = fixture;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Pacs.", StringComparison.Ordinal)
                || source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) || source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public Task InitializeAsync()
    {
        var blobs = new FileBlobStore(_root);
        _dataSource = NpgsqlDataSource.Create(_fixture.ConnectionString);
        var ingest = new IngestService(blobs, new BlobIntents(_dataSource, blobs.DeleteAsync), _fixture.Cluster.Client, GrainCallsForTests.Create(),
            AccessGroupRules.Default, NullLogger<IngestService>.Instance);
        var nodes = new NodeAccess(new Pacs.Index.NodeRegistry(_dataSource), Options.Create(new DimseOptions()), Options.Create(new GatewayHostOptions()));
        // Records are queued, never written: the writer's loop is not started here.
        var audit = new DimseAudit(new Pacs.Gateway.Audit.AuditWriter(new Pacs.Index.Audit.AuditTrail(_dataSource), Options.Create(new Pacs.Gateway.Audit.AuditOptions()), NullLogger<Pacs.Gateway.Audit.AuditWriter>.Instance));
        _server = new DicomServer(new DicomServerOptions { Port = 0 }, GatewayAssociationPolicy.Create("CLINTON", []),
            new DicomServiceProviders { Store = new StoreScp(ingest, nodes, audit, NullLogger<StoreScp>.Instance) });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task CStore_OneTrace_FromDimseOperationThroughIngestAndGrainCallToPostgreSql()
    {
        var status = await StoreAsync("MR_small.dcm");
        Assert.True(status.IsSuccess, $"status 0x{status.Code:X4} {status.ErrorComment}");

        // The root: the DIMSE operation, with the AE titles and SOP class, and no patient data.
        var store = await WaitForAsync(() => _spans.SingleOrDefault(s => s.OperationName == "C-STORE" && (string?)s.GetTagItem("dicom.calling_ae") == CallingAe));
        Assert.Null(store.Parent);
        Assert.Equal(default, store.ParentSpanId);
        Assert.Equal(ActivityKind.Server, store.Kind);
        Assert.Equal("CLINTON", store.GetTagItem("dicom.called_ae"));
        Assert.Equal("1.2.840.10008.5.1.4.1.1.4", store.GetTagItem("dicom.sop_class_uid"));
        Assert.Equal("0x0000", store.GetTagItem("dicom.status"));
        Assert.DoesNotContain(store.TagObjects, t => t.Key.Contains("patient", StringComparison.OrdinalIgnoreCase));

        // The silo's spans end after the gateway's grain call returns its answer: wait for the database statements.
        var trace = store.TraceId;
        await WaitForAsync(() => _spans.FirstOrDefault(s => s.TraceId == trace && s.Source.Name == "Npgsql" && HasAncestor(s, "Microsoft.Orleans", ActivityKind.Server)));
        var spans = _spans.Where(s => s.TraceId == trace).ToList();
        var byId = spans.ToDictionary(s => s.SpanId);

        // Every span of the trace hangs from the C-STORE span: one trace, parent links intact across the grain call.
        foreach (var span in spans.Where(s => s != store))
        {
            Assert.True(ReachesRoot(span, byId, store.SpanId), $"{span.Source.Name} '{span.OperationName}' is not under the C-STORE span");
        }

        var receive = Assert.Single(spans, s => s.OperationName == "ingest receive");
        var commit = Assert.Single(spans, s => s.OperationName == "ingest commit");
        Assert.Equal(store.SpanId, receive.ParentSpanId);
        Assert.Equal(store.SpanId, commit.ParentSpanId);
        Assert.Equal(commit.SpanId, Assert.Single(spans, s => s.OperationName == "blob flush").ParentSpanId);
        var indexCommit = Assert.Single(spans, s => s.OperationName == "index commit");
        Assert.Equal(commit.SpanId, indexCommit.ParentSpanId);

        // The grain call: the client's span under "index commit", the silo's span under the client's (the context crossed).
        var call = Assert.Single(spans, s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && s.Kind == ActivityKind.Client
            && s.ParentSpanId == indexCommit.SpanId);
        Assert.Contains(spans, s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && s.Kind == ActivityKind.Server
            && s.ParentSpanId == call.SpanId && s.OperationName.Contains("Commit", StringComparison.Ordinal));
        Assert.Contains(spans, s => s.Source.Name == "Npgsql" && HasAncestor(s, "Microsoft.Orleans", ActivityKind.Server));
    }

    [Fact]
    public async Task CStore_MetricsMove_InstancesBytesStagesAndOperationDuration()
    {
        var measured = new ConcurrentDictionary<string, double>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name is GatewayTelemetry.Name or DimseTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        void Note(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                key += $"|{tag.Key}={tag.Value}";
            }

            measured.AddOrUpdate(key, value, (_, sum) => sum + value);
        }
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Note(instrument, value, tags));
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Note(instrument, 1, tags)); // histograms: count
        meters.Start();

        var size = new FileInfo(Path.Combine("Corpus", "CT_small.dcm")).Length;
        var status = await StoreAsync("CT_small.dcm");
        Assert.True(status.IsSuccess, $"status 0x{status.Code:X4} {status.ErrorComment}");

        Assert.True(measured.GetValueOrDefault("pacs.ingest.instances|outcome=stored") + measured.GetValueOrDefault("pacs.ingest.instances|outcome=duplicate") >= 1,
            string.Join(", ", measured.Keys));
        // The blob holds the data set without the Part 10 header: a little less than the file.
        Assert.True(measured.GetValueOrDefault("pacs.ingest.bytes") >= size - 1024, $"bytes {measured.GetValueOrDefault("pacs.ingest.bytes")} of {size}");
        foreach (var stage in new[] { "receive", "blob_flush", "index_commit" })
        {
            Assert.True(measured.GetValueOrDefault($"pacs.ingest.stage.duration|stage={stage}") >= 1, $"no {stage} latency in {string.Join(", ", measured.Keys)}");
        }

        Assert.True(measured.GetValueOrDefault("pacs.dimse.operation.duration|dicom.command=C-STORE|dicom.status_category=success") >= 1,
            string.Join(", ", measured.Keys));
    }

    private async Task<DimseStatus> StoreAsync(string file)
    {
        var path = Path.Combine("Corpus", file);
        var instance = await InstanceToSend.FromFileAsync(path);
        await using var client = await DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = _server!.Port,
            CalledAeTitle = "CLINTON",
            CallingAeTitle = CallingAe,
            PresentationContexts = [new PresentationContextRequest(instance.SopClassUid, [instance.TransferSyntax.Uid])],
        });
        var status = await client.StoreAsync(instance);
        await client.ReleaseAsync();
        return status;
    }

    private static async Task<Activity> WaitForAsync(Func<Activity?> find)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (find() is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("the span did not arrive");
    }

    private static bool HasAncestor(Activity span, string sourcePrefix, ActivityKind kind)
    {
        for (var parent = span.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent.Source.Name.StartsWith(sourcePrefix, StringComparison.Ordinal) && parent.Kind == kind)
            {
                return true;
            }
        }

        return false;
    }

    private static bool ReachesRoot(Activity span, Dictionary<ActivitySpanId, Activity> byId, ActivitySpanId root)
    {
        var parent = span.ParentSpanId;
        for (var hops = 0; hops < 64; hops++)
        {
            if (parent == root)
            {
                return true;
            }

            if (!byId.TryGetValue(parent, out var next))
            {
                return false;
            }

            parent = next.ParentSpanId;
        }

        return false;
    }
}
