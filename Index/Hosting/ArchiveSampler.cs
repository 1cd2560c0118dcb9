using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Pacs.Hosting;

/// <summary>
/// Parent-based ratio sampling, except that a client span with no parent is never recorded: that is background work
/// no request asked for (Orleans' membership heartbeats and reminder reads through ADO.NET, the blob reconciler's
/// queries), a trace of one database statement every second that would bury the requests' traces and cost their export.
/// </summary>
internal sealed class ArchiveSampler(double ratio) : Sampler
{
    private readonly ParentBasedSampler _inner = new(new TraceIdRatioBasedSampler(Math.Clamp(ratio, 0, 1)));

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.ParentContext.TraceId == default && samplingParameters.Kind == ActivityKind.Client
            ? new SamplingResult(SamplingDecision.Drop)
            : _inner.ShouldSample(samplingParameters);
}
