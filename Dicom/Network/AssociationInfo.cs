using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>What the application may know of an established association.</summary>
public sealed record AssociationInfo(
    string CalledAeTitle,
    string CallingAeTitle,
    System.Net.EndPoint? RemoteEndPoint,
    UserIdentityRequest? UserIdentity,
    IReadOnlyList<NegotiatedPresentationContext> PresentationContexts,
    uint PeerMaxPduLength,
    string? PeerImplementationClassUid,
    string? PeerImplementationVersionName)
{
    /// <summary>SOP class extended negotiation as agreed: the acceptor's answers (56h, PS3.7 D.3.3.5).</summary>
    public IReadOnlyList<SopClassExtendedNegotiation> ExtendedNegotiations { get; init; } = [];

    /// <summary>The requestor as the acceptor's policy authenticated it (<see cref="AssociationDecision.User"/>); null on the requestor side.</summary>
    public System.Security.Claims.ClaimsPrincipal? User { get; init; }

    /// <summary>True when relational queries were agreed for this query SOP class (PS3.4 C.5.1.1.1, byte 1).</summary>
    public bool RelationalQueriesAgreed(string sopClassUid) =>
        ExtendedNegotiations.Any(e => e.SopClassUid == sopClassUid && e.ServiceClassApplicationInformation.Length > 0 && e.ServiceClassApplicationInformation.Span[0] == 1);
}
