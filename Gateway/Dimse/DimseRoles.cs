using System.Security.Claims;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;
using Pacs.Dicom.Query;
using Pacs.Gateway.Auth;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// What an account may ask over DIMSE (issue 12, docs/security.md "Roles and permissions"): each service needs one
/// <see cref="Permission"/> of the table the HTTP policies consult too (<see cref="RolePermissions"/>): C-STORE
/// <see cref="Permission.Store"/>, C-FIND and C-GET <see cref="Permission.Read"/> (search and view), C-MOVE
/// <see cref="Permission.Send"/>. And the narrowing of an accepted association to what its requestor may use.
/// </summary>
internal static class DimseRoles
{
    public const string Store = "C-STORE";
    public const string Find = "C-FIND";
    public const string Move = "C-MOVE";
    public const string Get = "C-GET";

    /// <summary>The services an account may be granted, in the order docs/security.md lists them.</summary>
    public static IReadOnlyList<string> Services { get; } = [Store, Find, Move, Get];

    /// <summary>The permission <paramref name="service"/> needs; none for a service this table does not know.</summary>
    public static Permission PermissionOf(string service) => service switch
    {
        Store => Permission.Store,
        Find or Get => Permission.Read,
        Move => Permission.Send,
        _ => Permission.None,
    };

    /// <summary>True when <paramref name="user"/>'s role may use <paramref name="service"/> (C-STORE, C-FIND, C-MOVE, C-GET).</summary>
    public static bool Allows(ClaimsPrincipal user, string service) => user.Has(PermissionOf(service));

    /// <summary>
    /// Whether a presentation context of <paramref name="sopClass"/> stays open for <paramref name="user"/>. Storage
    /// contexts stay open to one who may C-GET, whose instances come back over them (PS3.4 C.4.3.1); a C-STORE of such
    /// a user is refused by <see cref="StoreScp"/> (0124).
    /// </summary>
    public static bool AllowsContext(ClaimsPrincipal user, string sopClass) => sopClass switch
    {
        CEchoRequest.VerificationSopClassUid => true,
        QueryRetrieveSopClass.PatientRootFind or QueryRetrieveSopClass.StudyRootFind => Allows(user, Find),
        QueryRetrieveSopClass.PatientRootMove or QueryRetrieveSopClass.StudyRootMove => Allows(user, Move),
        QueryRetrieveSopClass.PatientRootGet or QueryRetrieveSopClass.StudyRootGet => Allows(user, Get),
        _ => Allows(user, Store) || Allows(user, Get),
    };

    /// <summary>
    /// The accepted presentation contexts whose SOP class is not <paramref name="allowed"/> answered "user-rejection"
    /// (PS3.8 9.3.3.2), with their role selections and extended negotiations dropped.
    /// </summary>
    public static AssociationDecision Narrow(AssociationDecision decision, AssociateRequestPdu request, Func<string, bool> allowed)
    {
        var abstractSyntaxes = request.PresentationContexts.ToDictionary(pc => pc.Id, pc => pc.AbstractSyntax);
        var refused = new HashSet<string>(StringComparer.Ordinal);
        var results = decision.Results.Select(r =>
        {
            if (!r.IsAccepted || !abstractSyntaxes.TryGetValue(r.Id, out var sopClass) || allowed(sopClass))
            {
                return r;
            }

            refused.Add(sopClass);
            return r with { Result = PresentationContextResultReason.UserRejection };
        }).ToList();
        if (refused.Count == 0)
        {
            return decision;
        }

        return AssociationDecision.Accepted(results,
            [.. decision.Roles.Where(role => !refused.Contains(role.SopClassUid))],
            decision.UserIdentityResponse,
            [.. decision.ExtendedNegotiations.Where(n => !refused.Contains(n.SopClassUid))]) with { User = decision.User };
    }
}
