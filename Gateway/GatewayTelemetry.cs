using System.Diagnostics;
using System.Diagnostics.Metrics;
using Pacs.Dicom.Network;
using Pacs.Gateway.DicomWeb;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway;

/// <summary>
/// The gateway's own traces and metrics ("Pacs.Gateway"; the DIMSE layer's are in Pacs.Dicom's DimseTelemetry): spans
/// for the ingest funnel's stages, counters of instances and bytes ingested, the stages' latencies, and the DICOM
/// associations under way. Nothing here carries patient data: outcomes and stage names only.
/// </summary>
internal static class GatewayTelemetry
{
    public const string Name = "Pacs.Gateway";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Instances through the ingest funnel (C-STORE, STOW-RS, an administrator's accept), by outcome.</summary>
    private static readonly Counter<long> Instances = Meter.CreateCounter<long>("pacs.ingest.instances", "{instance}",
        "Instances through the ingest funnel, by outcome");

    /// <summary>Bytes of the instances stored (the blob's size; failures count none).</summary>
    private static readonly Counter<long> Bytes = Meter.CreateCounter<long>("pacs.ingest.bytes", "By", "Bytes of the instances stored");

    /// <summary>
    /// Latency of each stage of the funnel: receive (bytes in and header parsed), blob_flush (the blob durable and
    /// visible: its fsync, the intent's wait, the rename, the folders' fsyncs), index_commit (study grain).
    /// </summary>
    private static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>("pacs.ingest.stage.duration", "s",
        "Latency of each ingest stage", advice: DimseTelemetry.SecondsBuckets);

    /// <summary>DICOM associations (TCP connections holding a slot) under way on this gateway.</summary>
    private static readonly UpDownCounter<long> ActiveAssociations = Meter.CreateUpDownCounter<long>("pacs.dimse.associations.active", "{association}",
        "DICOM associations under way");

    /// <summary>
    /// How long each read waited for a slot of <see cref="ReadAdmission"/> (0 when one was free), by class: where a
    /// reader's first image waits while modalities send (issue 17 §1).
    /// </summary>
    private static readonly Histogram<double> ReadWait = Meter.CreateHistogram<double>("pacs.dicomweb.read_admission.wait", "s",
        "Time a read waited for an admission slot, by class", advice: DimseTelemetry.SecondsBuckets);

    public static void ReadAdmitted(ReadClass readClass, double seconds)
    {
        if (ReadWait.Enabled)
        {
            ReadWait.Record(seconds, new KeyValuePair<string, object?>("class", readClass switch
            {
                ReadClass.Interactive => "interactive",
                ReadClass.Opening => "opening",
                _ => "bulk",
            }));
        }
    }

    public static void AssociationStarted() => ActiveAssociations.Add(1);

    public static void AssociationEnded() => ActiveAssociations.Add(-1);

    /// <summary>A timestamp for <see cref="StageDone"/>, or 0 when nobody listens to the stage latencies.</summary>
    public static long StageStart() => StageDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    public static void StageDone(string stage, long started)
    {
        if (started != 0)
        {
            StageDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("stage", stage));
        }
    }

    /// <summary>One instance's outcome (once per instance, whichever half of the funnel decided it).</summary>
    public static void Ingested(IngestResult result, long bytes)
    {
        Instances.Add(1, new KeyValuePair<string, object?>("outcome", OutcomeText(result.Status)));
        if (result.IsSuccess && bytes > 0)
        {
            Bytes.Add(bytes);
        }
    }

    /// <summary>Starts a stage's span under the current one (the DIMSE operation or HTTP request); null when nobody listens.</summary>
    public static Activity? StartStage(string name) => Source.StartActivity(name, ActivityKind.Internal);

    public static void Fail(Activity? activity, IngestStatus status)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("pacs.ingest.outcome", OutcomeText(status));
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    // Constant strings: no allocation per instance, a bounded set of label values.
    private static string OutcomeText(IngestStatus status) => status switch
    {
        IngestStatus.Stored => "stored",
        IngestStatus.Duplicate => "duplicate",
        IngestStatus.Replaced => "replaced",
        IngestStatus.Conflict => "conflict",
        IngestStatus.CannotUnderstand => "cannot_understand",
        IngestStatus.DataSetDoesNotMatch => "dataset_does_not_match",
        IngestStatus.StudyUidMismatch => "study_uid_mismatch",
        IngestStatus.OutOfResources => "out_of_resources",
        IngestStatus.RejectedDuplicate => "rejected_duplicate",
        IngestStatus.Aborted => "aborted",
        _ => "other",
    };
}
