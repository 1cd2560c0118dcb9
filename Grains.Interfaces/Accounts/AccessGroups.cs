namespace Pacs.Grains.Accounts;

/// <summary>Access group names as accounts and studies carry them.</summary>
public static class AccessGroups
{
    /// <summary>An account holding this group sees every study, whatever its groups.</summary>
    public const string All = "*";

    /// <summary>Names are short lower-case identifiers so that they can live in URLs, tokens and SQL arrays unescaped.</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: >= 1 and <= 64 } && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.');
}
