using Microsoft.AspNetCore.Authorization;

namespace Pacs.Gateway.Auth;

/// <summary>
/// The role policies every HTTP endpoint carries. Accounts, sessions and RBAC arrive with the accounts issue, which
/// replaces the requirements registered here (roles: reader, operator, admin) without touching the endpoints. Until
/// then the DICOMweb and viewer policies admit every caller, which is why the gateway binds to loopback only (see
/// docs/operations.md), and the admin policy is enforced by the admin token check of Gateway/Admin.
/// </summary>
public static class Policies
{
    /// <summary>Search and retrieve (QIDO-RS, WADO-RS, WADO-URI, the viewer): radiologists, operators, admins.</summary>
    public const string Read = "pacs.read";

    /// <summary>Store (STOW-RS): operators, admins.</summary>
    public const string Write = "pacs.write";

    /// <summary>Delete studies, series, instances: admins.</summary>
    public const string Delete = "pacs.delete";

    /// <summary>Node registry and other administration.</summary>
    public const string Admin = "pacs.admin";

    public static IServiceCollection AddArchivePolicies(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            // TEMPORARY until the accounts issue: no identities exist yet, so these admit everyone.
            .AddPolicy(Read, p => p.RequireAssertion(_ => true))
            .AddPolicy(Write, p => p.RequireAssertion(_ => true))
            .AddPolicy(Delete, p => p.RequireAssertion(_ => true))
            .AddPolicy(Admin, p => p.RequireAssertion(_ => true));
        return services;
    }
}
