namespace Pacs.Gateway.Ingest;

/// <summary>A blob the index rebuild did not index, and why.</summary>
public sealed record RefusedBlob(string Key, string Reason);
