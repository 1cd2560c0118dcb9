using Microsoft.Extensions.Options;
using Npgsql;
using Pacs.Gateway.Storage;
using Pacs.Index;

namespace Pacs.Gateway.Ingest;

/// <summary>Settings of the orphan blob reconciler (section "Pacs:Reconciler").</summary>
public sealed class BlobReconcilerOptions
{
    public const string Section = "Pacs:Reconciler";

    /// <summary>How long an intent may stay unclaimed: far longer than any ingest of one instance takes.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    public bool Enabled { get; set; } = true;
}
