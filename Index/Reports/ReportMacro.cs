namespace Pacs.Index.Reports;

/// <summary>
/// A report macro: typed as "/<see cref="Name"/>" in a report's section, it expands to <see cref="Text"/>. Its
/// <see cref="Owner"/> is the account that may change it, or null for a shared macro (admins change those).
/// </summary>
public sealed record ReportMacro
{
    public long Id { get; init; }
    /// <summary>The owning account's username; null: shared with every doctor.</summary>
    public string? Owner { get; init; }
    /// <summary>Lower case, 1-32 letters, digits, '-' and '_', without the leading slash.</summary>
    public required string Name { get; init; }
    /// <summary>The language of reports it is offered in (one of <see cref="Pacs.Grains.Accounts.Languages.All"/>).</summary>
    public required string Language { get; init; }
    public required string Text { get; init; }
    public string UpdatedBy { get; init; } = "";
    public DateTimeOffset UpdatedAt { get; init; }

    public bool Shared => Owner is null;
}
