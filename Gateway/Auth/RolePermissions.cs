using System.Security.Claims;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>
/// The one role → permission table (issue 12's roles): admin everything; doctor search and view (C-MOVE included, to
/// the doctor's own workstation), reports, export; operator upload, send (C-MOVE), search and view, and no report
/// editing, export or deletion.
/// </summary>
public static class RolePermissions
{
    private const Permission Everything = Permission.Read | Permission.Store | Permission.Send | Permission.Delete
        | Permission.Report | Permission.Export | Permission.Admin;

    /// <summary>The permissions of <paramref name="role"/>; none for an unknown role.</summary>
    public static Permission Of(string? role) => role switch
    {
        Roles.Admin => Everything,
        Roles.Doctor => Permission.Read | Permission.Send | Permission.Report | Permission.Export,
        Roles.Operator => Permission.Read | Permission.Store | Permission.Send,
        _ => Permission.None,
    };

    /// <summary>True when <paramref name="user"/>'s role holds <paramref name="permission"/> (every flag of it).</summary>
    public static bool Has(this ClaimsPrincipal user, Permission permission) =>
        permission != Permission.None && (Of(user.RoleOf()) & permission) == permission;
}
