using System.Diagnostics;
using System.Diagnostics.Metrics;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>
/// The network layer's traces and metrics ("Pacs.Dicom"): a span per DIMSE operation and per C-MOVE/C-GET
/// sub-operation, with the AE titles, SOP class and status as attributes (never patient data, never instance UIDs);
/// operation durations; refused associations by reason. Cheap when nobody listens: <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null without allocating, and an instrument without a listener records nothing.
/// </summary>
public static class DimseTelemetry
{
    public const string Name = "Pacs.Dicom";

    internal static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>
    /// Bucket bounds for every latency histogram of ours in seconds (this one, and the gateway's ingest stages and read
    /// admission waits): the SDK's defaults (0, 5, 10 ... 10,000) are meant for milliseconds and put every value in one
    /// bucket. 0 counts what did not wait at all; 30 s is a slow C-MOVE.
    /// </summary>
    public static readonly InstrumentAdvice<double> SecondsBuckets = new()
    {
        HistogramBucketBoundaries = [0, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    };

    /// <summary>Wall time of a DIMSE operation as the SCP sees it (C-FIND: the query's latency), by command and outcome.</summary>
    private static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>("pacs.dimse.operation.duration", "s",
        "DIMSE operations served, from request to final response", advice: SecondsBuckets);

    /// <summary>Associations refused, by reason: negotiation (A-ASSOCIATE-RJ, PS3.8 9.3.4) or a host's quota before it.</summary>
    private static readonly Counter<long> RefusedAssociations = Meter.CreateCounter<long>("pacs.dimse.associations.refused", "{association}",
        "Associations refused, by reason");

    /// <summary>Counts one refused association; <paramref name="reason"/> is a short constant (low cardinality).</summary>
    public static void CountRefused(string reason) => RefusedAssociations.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal static void CountRejected(AssociateRejectPdu reject) => CountRefused((reject.Source, reject.Reason) switch
    {
        (AssociateRejectSource.ServiceUser, AssociateRejectReason.CalledAeTitleNotRecognized) => "called-ae-not-recognized",
        (AssociateRejectSource.ServiceUser, AssociateRejectReason.CallingAeTitleNotRecognized) => "calling-ae-not-recognized",
        (AssociateRejectSource.ServiceUser, AssociateRejectReason.ApplicationContextNameNotSupported) => "application-context-not-supported",
        (AssociateRejectSource.ServiceProviderAcse, AssociateRejectReason.ProtocolVersionNotSupported) => "protocol-version-not-supported",
        (AssociateRejectSource.ServiceProviderPresentation, AssociateRejectReason.TemporaryCongestion) => "temporary-congestion",
        (AssociateRejectSource.ServiceProviderPresentation, AssociateRejectReason.LocalLimitExceeded) => "local-limit-exceeded",
        _ => "no-reason-given",
    });

    /// <summary>Starts the span of an operation the SCP serves (kind Server: the SCU is the caller).</summary>
    internal static Activity? StartOperation(string command, AssociationInfo association, string sopClassUid)
    {
        var activity = Source.StartActivity(command, ActivityKind.Server);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("dicom.calling_ae", association.CallingAeTitle);
            activity.SetTag("dicom.called_ae", association.CalledAeTitle);
            activity.SetTag("dicom.sop_class_uid", sopClassUid);
        }

        return activity;
    }

    /// <summary>Starts the span of a C-STORE sub-operation of C-MOVE or C-GET (kind Client: we send it).</summary>
    internal static Activity? StartSubOperation(string calledAe, string callingAe, string sopClassUid)
    {
        var activity = Source.StartActivity("C-STORE sub-operation", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("dicom.calling_ae", callingAe);
            activity.SetTag("dicom.called_ae", calledAe);
            activity.SetTag("dicom.sop_class_uid", sopClassUid);
        }

        return activity;
    }

    /// <summary>Ends a span with the DIMSE status (PS3.7 C) and records the operation's duration.</summary>
    internal static void Stop(Activity? activity, string command, DimseStatus status, long startTimestamp)
    {
        var category = status.Category;
        if (activity is not null)
        {
            if (activity.IsAllDataRequested)
            {
                activity.SetTag("dicom.status", StatusText(status.Code));
                if (category == DimseStatusCategory.Failure)
                {
                    activity.SetStatus(ActivityStatusCode.Error, status.ErrorComment);
                }
            }

            activity.Dispose();
        }

        if (OperationDuration.Enabled && startTimestamp != 0)
        {
            OperationDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
                new KeyValuePair<string, object?>("dicom.command", command),
                new KeyValuePair<string, object?>("dicom.status_category", CategoryText(category)));
        }
    }

    /// <summary>A timestamp for <see cref="Stop"/>, or 0 (nothing to measure) when nobody listens to the durations.</summary>
    internal static long StartTimestamp() => OperationDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    private static string CategoryText(DimseStatusCategory category) => category switch
    {
        DimseStatusCategory.Success => "success",
        DimseStatusCategory.Warning => "warning",
        DimseStatusCategory.Cancel => "cancel",
        DimseStatusCategory.Pending => "pending",
        _ => "failure",
    };

    // Most answers are 0000: no string per operation for them.
    private static string StatusText(ushort code) => code == 0 ? "0x0000" : "0x" + code.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
}
