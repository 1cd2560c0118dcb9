namespace Pacs.Grains.Accounts;

/// <summary>The user-interface languages of accounts and the login page.</summary>
public static class Languages
{
    public static IReadOnlyList<string> All { get; } = ["en", "ru", "es", "fr", "de"];

    public const string Default = "en";

    public static bool IsValid(string? language) => language is not null && All.Contains(language);
}
