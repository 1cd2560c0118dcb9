namespace Pacs.Gateway.Ingest;

/// <summary>A file of a folder import that was not stored, and why.</summary>
public sealed record ImportedFile(string Path, string Reason);
