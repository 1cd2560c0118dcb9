namespace Pacs.Gateway.Ingest;

/// <summary>
/// The part of a <see cref="BackgroundJob"/>'s progress every job shares: its state (idle, running, done, stopped,
/// failed), time, rate, ETA (null unless running with a rate) and the error that ended it.
/// </summary>
internal readonly record struct JobStatus(
    string State,
    double ElapsedSeconds,
    double InstancesPerSecond,
    double? EtaSeconds,
    DateTimeOffset? StartedAt,
    string? Error);
