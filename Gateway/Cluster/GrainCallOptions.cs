using System.ComponentModel.DataAnnotations;

namespace Pacs.Gateway.Cluster;

/// <summary>How grain calls ride through a silo's failure (section <c>Pacs:GrainCalls</c>; docs/operations.md).</summary>
public sealed class GrainCallOptions
{
    public const string Section = "Pacs:GrainCalls";

    /// <summary>
    /// How long a call keeps being asked again while a silo failure is resolved. Well above the membership's detection
    /// time (a few seconds) and below a modality's DIMSE timeout.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Pause after the first rejected attempt; doubled after each further one up to <see cref="MaxRetryPause"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan FirstRetryPause { get; set; } = TimeSpan.FromMilliseconds(100);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan MaxRetryPause { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long after this gateway lost a silo connection an attempt is bounded by <see cref="AttemptTimeout"/>: above
    /// the time the membership takes to declare a killed or hung silo dead, after which no call is routed to it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan UnsettledAfterLoss { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest an attempt waits for its answer while a silo loss is unsettled before it is asked again. Above a
    /// commit's time on a busy node (milliseconds; a second or two under contention), far below the response timeout.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a metadata request waits for the study grain before it answers from what this gateway holds or from
    /// the index (a grain on a hung silo does not answer until the silo is declared dead).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan MetadataBudget { get; set; } = TimeSpan.FromSeconds(1.5);
}
