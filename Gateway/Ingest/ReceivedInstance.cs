using Pacs.Dicom;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// An instance received by <see cref="IngestService.ReceiveAsync"/>: either already decided (<see cref="Result"/>,
/// a failure) or waiting for <see cref="IngestService.CommitAsync"/>, which owns and disposes its staging blob.
/// </summary>
public sealed class ReceivedInstance
{
    internal ReceivedInstance(IngestResult? result, Storage.IBlobWrite? write, Grains.InstanceRecord? record, IReadOnlyList<string>? warnings)
    {
        Result = result;
        Write = write;
        Record = record;
        Warnings = warnings;
    }

    /// <summary>The outcome when nothing is left to commit (the instance was refused or the sender went away).</summary>
    public IngestResult? Result { get; }

    internal Storage.IBlobWrite? Write { get; }

    internal Grains.InstanceRecord? Record { get; }

    internal IReadOnlyList<string>? Warnings { get; }

    internal static ReceivedInstance Failed(IngestResult result) => new(result, null, null, null);
}
