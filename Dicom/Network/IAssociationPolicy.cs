using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>
/// Decides whether an A-ASSOCIATE-RQ is accepted (PS3.8 7.1.1.7-9) and with which presentation contexts.
/// Receives the user identity (58h) so that the application can authorise.
/// </summary>
public interface IAssociationPolicy
{
    ValueTask<AssociationDecision> DecideAsync(AssociateRequestPdu request, System.Net.EndPoint? remoteEndPoint, CancellationToken cancellationToken);
}

/// <summary>Either an A-ASSOCIATE-RJ, or an acceptance with a result per proposed presentation context.</summary>
public sealed record AssociationDecision
{
    public AssociateRejectPdu? Reject { get; private init; }
    public IReadOnlyList<PresentationContextResult> Results { get; private init; } = [];
    public IReadOnlyList<RoleSelection> Roles { get; private init; } = [];
    public UserIdentityResponse? UserIdentityResponse { get; private init; }

    /// <summary>SOP class extended negotiation answers (56h, PS3.7 D.3.3.5): what the acceptor agrees to.</summary>
    public IReadOnlyList<SopClassExtendedNegotiation> ExtendedNegotiations { get; private init; } = [];

    /// <summary>
    /// Who the requestor is, as the application's policy established it (e.g. the account a user identity sub-item
    /// authenticated, PS3.7 D.3.3.7); carried to <see cref="AssociationInfo.User"/>. Null: only the AE title is known.
    /// </summary>
    public System.Security.Claims.ClaimsPrincipal? User { get; init; }

    public static AssociationDecision Rejected(AssociateRejectResult result, AssociateRejectSource source, AssociateRejectReason reason) =>
        new() { Reject = new AssociateRejectPdu(result, source, reason) };

    public static AssociationDecision Accepted(IReadOnlyList<PresentationContextResult> results, IReadOnlyList<RoleSelection>? roles = null, UserIdentityResponse? identity = null,
        IReadOnlyList<SopClassExtendedNegotiation>? extendedNegotiations = null) =>
        new() { Results = results, Roles = roles ?? [], UserIdentityResponse = identity, ExtendedNegotiations = extendedNegotiations ?? [] };
}

/// <summary>
/// The usual policy: known called AE titles, optional calling AE allow-list, an optional user identity check, and
/// per abstract syntax the transfer syntaxes we accept, in our order of preference (PS3.8 9.3.3.2 lets the acceptor
/// pick any one of the proposed). Storage SOP classes not listed are accepted when <see cref="AcceptAnyStorage"/>.
/// </summary>
public sealed class DefaultAssociationPolicy : IAssociationPolicy
{
    /// <summary>Preference when we must interpret the data: explicit VR first, then implicit (PS3.5 A.1 default).</summary>
    public static readonly IReadOnlyList<string> UncompressedPreference =
        [DicomTransferSyntax.ExplicitVRLittleEndian.Uid, DicomTransferSyntax.ImplicitVRLittleEndian.Uid];

    public IReadOnlySet<string>? CalledAeTitles { get; init; }
    public IReadOnlySet<string>? CallingAeTitles { get; init; }

    /// <summary>Abstract syntax to accepted transfer syntaxes in preference order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> AbstractSyntaxes { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Accept any abstract syntax under 1.2.840.10008.5.1.4.1.1 (storage) with any native or encapsulated syntax.</summary>
    public bool AcceptAnyStorage { get; init; }

    /// <summary>Return false to refuse the association (reject permanent, service user, no reason given).</summary>
    public Func<UserIdentityRequest?, bool>? AuthorizeUser { get; init; }

    /// <summary>Grant the SCP role to requestors proposing it (needed by C-GET, PS3.4 C.4.3.1).</summary>
    public bool AcceptScpRole { get; init; } = true;

    /// <summary>
    /// Query SOP classes (C-FIND) for which relational queries are agreed when the requestor asks for them by SOP
    /// class extended negotiation (PS3.4 C.5.1.1.1, C.4.1.2.2); any other extended negotiation is not answered,
    /// which declines it (PS3.7 D.3.3.5).
    /// </summary>
    public IReadOnlySet<string> RelationalQuerySopClasses { get; init; } = new HashSet<string>();

    public ValueTask<AssociationDecision> DecideAsync(AssociateRequestPdu request, System.Net.EndPoint? remoteEndPoint, CancellationToken cancellationToken)
    {
        if (CalledAeTitles is not null && !CalledAeTitles.Contains(request.CalledAeTitle))
        {
            return ValueTask.FromResult(AssociationDecision.Rejected(AssociateRejectResult.Permanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.CalledAeTitleNotRecognized));
        }

        if (CallingAeTitles is not null && !CallingAeTitles.Contains(request.CallingAeTitle))
        {
            return ValueTask.FromResult(AssociationDecision.Rejected(AssociateRejectResult.Permanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.CallingAeTitleNotRecognized));
        }

        if (AuthorizeUser is not null && !AuthorizeUser(request.UserInformation.UserIdentityRequest))
        {
            return ValueTask.FromResult(AssociationDecision.Rejected(AssociateRejectResult.Permanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.NoReasonGiven));
        }

        var results = new List<PresentationContextResult>(request.PresentationContexts.Count);
        var acceptedAbstract = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pc in request.PresentationContexts)
        {
            var result = Negotiate(pc);
            if (result.IsAccepted)
            {
                acceptedAbstract.Add(pc.AbstractSyntax);
            }

            results.Add(result);
        }
        var roles = new List<RoleSelection>();
        foreach (var role in request.UserInformation.RoleSelections)
        {
            if (acceptedAbstract.Contains(role.SopClassUid))
            {
                roles.Add(new RoleSelection(role.SopClassUid, role.ScuRole, role.ScpRole && AcceptScpRole));
            }
        }
        // PS3.7 D.3.3.7.2: answer the user identity only when a positive response was requested.
        var identity = request.UserInformation.UserIdentityRequest is { PositiveResponseRequested: true } id
            && id.Type is UserIdentityType.Username or UserIdentityType.UsernameAndPasscode
            ? new UserIdentityResponse(ReadOnlyMemory<byte>.Empty) : null;
        return ValueTask.FromResult(AssociationDecision.Accepted(results, roles, identity, AgreeExtendedNegotiations(request, acceptedAbstract)));
    }

    /// <summary>
    /// PS3.4 C.5.1.1.1 (Table C.5-1/C.5-2): byte 1 of the C-FIND sub-item is relational-queries (1 = supported); the
    /// other bytes (combined date and time, fuzzy semantic matching, timezone adjustment) are answered 0, not agreed.
    /// </summary>
    private List<SopClassExtendedNegotiation> AgreeExtendedNegotiations(AssociateRequestPdu request, HashSet<string> acceptedAbstract)
    {
        var answers = new List<SopClassExtendedNegotiation>();
        foreach (var asked in request.UserInformation.ExtendedNegotiations)
        {
            if (!RelationalQuerySopClasses.Contains(asked.SopClassUid) || !acceptedAbstract.Contains(asked.SopClassUid))
            {
                continue;
            }

            var info = new byte[Math.Max(1, asked.ServiceClassApplicationInformation.Length)];
            info[0] = asked.ServiceClassApplicationInformation.Length > 0 && asked.ServiceClassApplicationInformation.Span[0] == 1 ? (byte)1 : (byte)0;
            answers.Add(new SopClassExtendedNegotiation(asked.SopClassUid, info));
        }
        return answers;
    }

    private PresentationContextResult Negotiate(PresentationContextProposal pc)
    {
        var fallback = pc.TransferSyntaxes.Count > 0 ? pc.TransferSyntaxes[0] : DicomTransferSyntax.ImplicitVRLittleEndian.Uid;
        if (AbstractSyntaxes.TryGetValue(pc.AbstractSyntax, out var accepted))
        {
            foreach (var ts in accepted)
            {
                if (pc.TransferSyntaxes.Contains(ts))
                {
                    return new(pc.Id, PresentationContextResultReason.Acceptance, ts);
                }
            }

            return new(pc.Id, PresentationContextResultReason.TransferSyntaxesNotSupported, fallback);
        }
        if (AcceptAnyStorage && pc.AbstractSyntax.StartsWith("1.2.840.10008.5.1.4.1.1.", StringComparison.Ordinal))
        {
            // Store what the modality sends, preferring explicit VR LE among native syntaxes; deflate is not accepted
            // because the storage layer keeps the data set as received.
            foreach (var ts in UncompressedPreference)
            {
                if (pc.TransferSyntaxes.Contains(ts))
                {
                    return new(pc.Id, PresentationContextResultReason.Acceptance, ts);
                }
            }

            foreach (var ts in pc.TransferSyntaxes)
            {
                if (DicomTransferSyntax.Find(ts) is { IsDeflated: false })
                {
                    return new(pc.Id, PresentationContextResultReason.Acceptance, ts);
                }
            }

            return new(pc.Id, PresentationContextResultReason.TransferSyntaxesNotSupported, fallback);
        }
        return new(pc.Id, PresentationContextResultReason.AbstractSyntaxNotSupported, fallback);
    }
}
