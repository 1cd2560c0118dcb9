using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Query;
using Pacs.Gateway.Auth;
using Pacs.Gateway.Dimse;
using Pacs.Grains.Accounts;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The one role → permission table (<see cref="RolePermissions"/>) against issue 12's roles, walked through both
/// protocols: the DIMSE services and their presentation contexts (<see cref="DimseRoles"/>) and the HTTP policies
/// (<see cref="Policies"/>), so that a role may never do over one protocol what the other refuses it.
/// </summary>
public sealed class PermissionTableTests
{
    private const string CtImageStorage = "1.2.840.10008.5.1.4.1.1.2";

    /// <summary>docs/security.md, "DIMSE service × role", written out as the issue's role table reads.</summary>
    private static readonly Dictionary<string, string[]> DimseTable = new(StringComparer.Ordinal)
    {
        [Roles.Admin] = [DimseRoles.Store, DimseRoles.Find, DimseRoles.Move, DimseRoles.Get],
        // search and view (C-FIND, C-GET; C-MOVE to the doctor's own workstation); no upload
        [Roles.Doctor] = [DimseRoles.Find, DimseRoles.Move, DimseRoles.Get],
        // upload (C-STORE), send (C-MOVE), search and view (C-FIND, C-GET)
        [Roles.Operator] = [DimseRoles.Store, DimseRoles.Find, DimseRoles.Move, DimseRoles.Get],
        ["unknown-role"] = [],
    };

    private static ClaimsPrincipal User(string role, bool mustChangePassword = false)
    {
        var claims = new List<Claim> { new(PacsClaims.Username, "tester"), new(PacsClaims.Role, role) };
        if (mustChangePassword)
        {
            claims.Add(new Claim(PacsClaims.PasswordChangeRequired, "1"));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, "test", PacsClaims.Username, PacsClaims.Role));
    }

    [Fact]
    public void DimseServices_EveryRole_AllowedExactlyAsTheRoleTableSays()
    {
        var failures = new List<string>();
        foreach (var (role, allowed) in DimseTable)
        {
            var user = User(role);
            foreach (var service in DimseRoles.Services)
            {
                var expected = allowed.Contains(service);
                if (DimseRoles.Allows(user, service) != expected)
                {
                    failures.Add($"{role} {service}: expected {(expected ? "allowed" : "refused")}");
                }
                // The service's answer is the permission table's, not a second table.
                Assert.Equal(RolePermissions.Of(role).HasFlag(DimseRoles.PermissionOf(service)) && DimseRoles.PermissionOf(service) != Permission.None,
                    DimseRoles.Allows(user, service));
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void DimseContexts_EveryRole_OpenForItsServicesAndStorageForStoreOrGet()
    {
        var contexts = new (string SopClass, string Service)[]
        {
            (QueryRetrieveSopClass.StudyRootFind, DimseRoles.Find),
            (QueryRetrieveSopClass.PatientRootFind, DimseRoles.Find),
            (QueryRetrieveSopClass.StudyRootMove, DimseRoles.Move),
            (QueryRetrieveSopClass.PatientRootMove, DimseRoles.Move),
            (QueryRetrieveSopClass.StudyRootGet, DimseRoles.Get),
            (QueryRetrieveSopClass.PatientRootGet, DimseRoles.Get),
        };
        foreach (var (role, allowed) in DimseTable)
        {
            var user = User(role);
            Assert.True(DimseRoles.AllowsContext(user, CEchoRequest.VerificationSopClassUid), $"{role}: verification refused");
            foreach (var (sopClass, service) in contexts)
            {
                Assert.True(allowed.Contains(service) == DimseRoles.AllowsContext(user, sopClass), $"{role} {sopClass}");
            }
            // Storage contexts carry C-STORE and also C-GET's instances back to the requestor (PS3.4 C.4.3.1).
            var storage = allowed.Contains(DimseRoles.Store) || allowed.Contains(DimseRoles.Get);
            Assert.True(storage == DimseRoles.AllowsContext(user, CtImageStorage), $"{role} storage context");
        }
    }

    [Fact]
    public async Task HttpPolicies_EveryRole_PassExactlyWhereTheTableGrantsThePermission()
    {
        var services = new ServiceCollection().AddLogging().AddArchivePolicies();
        await using var provider = services.BuildServiceProvider();
        var authorization = provider.GetRequiredService<IAuthorizationService>();
        Assert.Equal(6, Policies.PermissionPolicies.Count);
        foreach (var role in DimseTable.Keys)
        {
            foreach (var (policy, permission) in Policies.PermissionPolicies)
            {
                var expected = (RolePermissions.Of(role) & permission) == permission && RolePermissions.Of(role) != Permission.None;
                Assert.True(expected == (await authorization.AuthorizeAsync(User(role), policy)).Succeeded, $"{role} {policy}");
                // An account that must change its password passes no permission policy first.
                Assert.False((await authorization.AuthorizeAsync(User(role, mustChangePassword: true), policy)).Succeeded, $"{role} {policy} before the password change");
            }

            Assert.True((await authorization.AuthorizeAsync(User(role, mustChangePassword: true), Policies.Session)).Succeeded);
        }
    }

    [Fact]
    public void Protocols_EveryRole_ViewAndUploadAlikeOverHttpAndDimse()
    {
        // The disagreement this table removed: an operator could view over WADO-RS but not C-GET.
        foreach (var role in Roles.All)
        {
            var user = User(role);
            Assert.Equal(user.Has(Permission.Read), DimseRoles.Allows(user, DimseRoles.Get));
            Assert.Equal(user.Has(Permission.Read), DimseRoles.Allows(user, DimseRoles.Find));
            Assert.Equal(user.Has(Permission.Store), DimseRoles.Allows(user, DimseRoles.Store));
        }

        Assert.Equal(Permission.Read | Permission.Store | Permission.Send, RolePermissions.Of(Roles.Operator));
        Assert.Equal(Permission.Read | Permission.Send | Permission.Report | Permission.Export, RolePermissions.Of(Roles.Doctor));
        Assert.False(User(Roles.Doctor).Has(Permission.Store | Permission.Read));
        Assert.False(User(Roles.Admin).Has(Permission.None));
    }
}
