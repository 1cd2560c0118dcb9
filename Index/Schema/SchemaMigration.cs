namespace Pacs.Index.Schema;

/// <summary>One forward-only SQL migration, embedded as <c>Migrations/NNNN_name.sql</c>.</summary>
public sealed record SchemaMigration(int Version, string Name, string Sql);
