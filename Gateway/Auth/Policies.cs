using Microsoft.AspNetCore.Authorization;

namespace Pacs.Gateway.Auth;

/// <summary>
/// The role policies every HTTP endpoint carries (docs/security.md holds the endpoint × role table). Roles: admin
/// (everything), doctor (search and view; reports; export), operator (upload, send, search and view). An account
/// that must change its password passes none of them until it has (only /auth/* is open to it).
/// </summary>
public static class Policies
{
    /// <summary>Search and retrieve (QIDO-RS, WADO-RS, WADO-URI, rendered, the viewer): every role.</summary>
    public const string Read = "pacs.read";

    /// <summary>Store (STOW-RS): operators, admins.</summary>
    public const string Write = "pacs.write";

    /// <summary>Delete studies, series, instances: admins.</summary>
    public const string Delete = "pacs.delete";

    /// <summary>Accounts, DICOM nodes, access groups, audit: admins.</summary>
    public const string Admin = "pacs.admin";

    /// <summary>Write, sign and amend reports: doctors, admins.</summary>
    public const string Report = "pacs.report";

    /// <summary>Export (PDF and other copies leaving the archive): doctors, admins.</summary>
    public const string Export = "pacs.export";

    /// <summary>Any live session, even one that must change its password first: /auth/me, /auth/password, /auth/logout.</summary>
    public const string Session = "pacs.session";

    public static IServiceCollection AddArchivePolicies(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(Read, p => Roles(p, Grains.Accounts.Roles.Admin, Grains.Accounts.Roles.Doctor, Grains.Accounts.Roles.Operator))
            .AddPolicy(Write, p => Roles(p, Grains.Accounts.Roles.Admin, Grains.Accounts.Roles.Operator))
            .AddPolicy(Delete, p => Roles(p, Grains.Accounts.Roles.Admin))
            .AddPolicy(Admin, p => Roles(p, Grains.Accounts.Roles.Admin))
            .AddPolicy(Report, p => Roles(p, Grains.Accounts.Roles.Admin, Grains.Accounts.Roles.Doctor))
            .AddPolicy(Export, p => Roles(p, Grains.Accounts.Roles.Admin, Grains.Accounts.Roles.Doctor))
            .AddPolicy(Session, p => p.RequireAuthenticatedUser());
        return services;
    }

    private static void Roles(AuthorizationPolicyBuilder policy, params string[] roles) =>
        policy.RequireAuthenticatedUser()
            .RequireRole(roles)
            .RequireAssertion(context => !context.User.HasClaim(c => c.Type == PacsClaims.PasswordChangeRequired));
}
