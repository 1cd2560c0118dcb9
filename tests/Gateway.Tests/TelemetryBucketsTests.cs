using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Pacs.Dicom.Network;

namespace Pacs.Gateway.Tests;

/// <summary>
/// Our latency histograms are in seconds, and the SDK's default bucket bounds (0, 5, 10 ... 10,000) are meant for
/// milliseconds: with them every admission wait, ingest stage and DIMSE operation fell in one bucket (le="5"). Each
/// histogram in seconds carries its own bounds, fine below a second.
/// </summary>
public sealed class TelemetryBucketsTests
{
    [Fact]
    public void HistogramsInSeconds_HaveBucketsBelowASecond()
    {
        RuntimeHelpers.RunClassConstructor(typeof(GatewayTelemetry).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(DimseTelemetry).TypeHandle);
        var histograms = new List<Histogram<double>>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name is GatewayTelemetry.Name or DimseTelemetry.Name && instrument is Histogram<double> { Unit: "s" } histogram)
            {
                lock (histograms)
                {
                    histograms.Add(histogram);
                }
            }
        };
        meters.Start();

        Assert.Equal(new[] { "pacs.dicomweb.read_admission.wait", "pacs.dimse.operation.duration", "pacs.ingest.stage.duration" },
            histograms.Select(h => h.Name).Distinct().Order(StringComparer.Ordinal).ToArray());
        foreach (var histogram in histograms)
        {
            var bounds = histogram.Advice?.HistogramBucketBoundaries;
            Assert.NotNull(bounds);
            Assert.Contains(bounds, b => b is > 0 and <= 0.001);
            Assert.Contains(bounds, b => b >= 5);
            Assert.Equal(bounds.Order(), bounds);
        }
    }
}
