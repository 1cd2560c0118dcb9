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
    string? PeerImplementationVersionName);
