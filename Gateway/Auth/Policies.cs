using Microsoft.AspNetCore.Authorization;

namespace Pacs.Gateway.Auth;

/// <summary>
/// The policies every HTTP endpoint carries (docs/security.md holds the endpoint × role table): one per
/// <see cref="Permission"/>, passed by the roles <see cref="RolePermissions"/> grants it, the same table the DIMSE
/// services consult. An account that must change its password passes none of them until it has (only /auth/* is open
/// to it).
/// </summary>
public static class Policies
{
    /// <summary><see cref="Permission.Read"/>: search and retrieve (QIDO-RS, WADO-RS, WADO-URI, rendered, the viewer).</summary>
    public const string Read = "pacs.read";

    /// <summary><see cref="Permission.Store"/>: STOW-RS.</summary>
    public const string Write = "pacs.write";

    /// <summary><see cref="Permission.Delete"/>: delete studies, series, instances.</summary>
    public const string Delete = "pacs.delete";

    /// <summary><see cref="Permission.Admin"/>: accounts, DICOM nodes, access groups, audit, data jobs, the Orleans dashboard.</summary>
    public const string Admin = "pacs.admin";

    /// <summary><see cref="Permission.Report"/>: write, sign and amend reports.</summary>
    public const string Report = "pacs.report";

    /// <summary><see cref="Permission.Export"/>: PDF and other copies leaving the archive.</summary>
    public const string Export = "pacs.export";

    /// <summary>Any live session, even one that must change its password first: /auth/me, /auth/password, /auth/logout.</summary>
    public const string Session = "pacs.session";

    /// <summary>Each permission policy and the permission it requires.</summary>
    public static IReadOnlyDictionary<string, Permission> PermissionPolicies { get; } = new Dictionary<string, Permission>(StringComparer.Ordinal)
    {
        [Read] = Permission.Read,
        [Write] = Permission.Store,
        [Delete] = Permission.Delete,
        [Admin] = Permission.Admin,
        [Report] = Permission.Report,
        [Export] = Permission.Export,
    };

    public static IServiceCollection AddArchivePolicies(this IServiceCollection services)
    {
        var authorization = services.AddAuthorizationBuilder()
            .AddPolicy(Session, p => p.RequireAuthenticatedUser());
        foreach (var (name, permission) in PermissionPolicies)
        {
            authorization.AddPolicy(name, p => p.RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.Has(permission)
                    && !context.User.HasClaim(c => c.Type == PacsClaims.PasswordChangeRequired)));
        }

        return services;
    }
}
