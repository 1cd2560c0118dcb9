namespace Pacs.Grains.Accounts;

/// <summary>The three roles of an account (issue 12, docs/security.md): what each may do is the gateway's one permission table (Gateway/Auth/RolePermissions.cs), for HTTP and DIMSE alike.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Doctor = "doctor";
    public const string Operator = "operator";

    public static IReadOnlyList<string> All { get; } = [Admin, Doctor, Operator];

    public static bool IsValid(string? role) => role is Admin or Doctor or Operator;
}
