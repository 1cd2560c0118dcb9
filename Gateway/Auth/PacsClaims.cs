using System.Security.Claims;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Auth;

/// <summary>The claims of an authenticated request, and how to read them back.</summary>
public static class PacsClaims
{
    public const string Username = "sub";
    public const string Role = ClaimTypes.Role;
    public const string Session = "sid";
    public const string Group = "group";
    public const string Language = "lang";
    public const string DisplayName = "name";
    /// <summary>Present when the account must change its password before doing anything else.</summary>
    public const string PasswordChangeRequired = "pwd_change";
    /// <summary>"cookie" or "bearer": how the request proved itself (the CSRF check applies to cookies only).</summary>
    public const string Method = "amr";

    internal static ClaimsPrincipal Principal(SessionView session, string method, string scheme)
    {
        var claims = new List<Claim>
        {
            new(Username, session.Username),
            new(Role, session.Role),
            new(Session, session.SessionId),
            new(Language, session.Language),
            new(DisplayName, session.DisplayName.Length > 0 ? session.DisplayName : session.Username),
            new(Method, method),
        };
        claims.AddRange(session.Groups.Select(g => new Claim(Group, g)));
        if (session.MustChangePassword)
        {
            claims.Add(new Claim(PasswordChangeRequired, "1"));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, Username, Role));
    }

    public static string? UsernameOf(this ClaimsPrincipal user) => user.FindFirstValue(Username);

    public static string? SessionOf(this ClaimsPrincipal user) => user.FindFirstValue(Session);

    public static string? RoleOf(this ClaimsPrincipal user) => user.FindFirstValue(Role);

    /// <summary>The caller's access groups; "*" among them means every study.</summary>
    public static IReadOnlyList<string> GroupsOf(this ClaimsPrincipal user) => user.FindAll(Group).Select(c => c.Value).ToList();

    /// <summary>
    /// The access groups that limit which studies the caller sees, or null when nothing limits them (an admin, or an
    /// account holding "*"). An account with no group sees no study.
    /// </summary>
    public static IReadOnlyList<string>? StudyGroupsOf(this ClaimsPrincipal user)
    {
        if (user.RoleOf() == Roles.Admin)
        {
            return null;
        }

        var groups = user.GroupsOf();
        return groups.Contains(AccessGroups.All) ? null : groups;
    }
}
