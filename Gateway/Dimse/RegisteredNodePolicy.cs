using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;
using Pacs.Dicom.Query;
using Pacs.Index;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// The gateway's association policy narrowed to the node registry when <see cref="NodeAccess.RegisteredOnly"/>: an
/// unregistered calling AE title is rejected permanently, "calling-AE-title-not-recognized" (PS3.8 9.3.4, Table
/// 9-21), and a registered node's presentation contexts for services it may not use are answered "user-rejection"
/// (PS3.8 9.3.3.2). Storage contexts stay open to a node that may retrieve, because C-GET sends its instances over
/// them (PS3.4 C.4.3.1); a C-STORE from such a node is refused by <see cref="StoreScp"/> (0124, not authorized).
/// </summary>
internal sealed partial class RegisteredNodePolicy(IAssociationPolicy inner, NodeAccess access, ILogger<RegisteredNodePolicy> logger) : IAssociationPolicy
{
    public async ValueTask<AssociationDecision> DecideAsync(AssociateRequestPdu request, System.Net.EndPoint? remoteEndPoint, CancellationToken cancellationToken)
    {
        if (!access.RegisteredOnly)
        {
            return await inner.DecideAsync(request, remoteEndPoint, cancellationToken).ConfigureAwait(false);
        }

        var node = await access.FindAsync(request.CallingAeTitle, cancellationToken).ConfigureAwait(false);
        if (node is null)
        {
            LogUnregistered(logger, request.CallingAeTitle, remoteEndPoint?.ToString() ?? "");
            return AssociationDecision.Rejected(AssociateRejectResult.Permanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.CallingAeTitleNotRecognized);
        }
        var decision = await inner.DecideAsync(request, remoteEndPoint, cancellationToken).ConfigureAwait(false);
        if (decision.Reject is not null)
        {
            return decision;
        }

        return DimseRoles.Narrow(decision, request, sopClass => Allows(node, sopClass));
    }

    private static bool Allows(DicomNode node, string sopClass) => sopClass switch
    {
        CEchoRequest.VerificationSopClassUid => true,
        QueryRetrieveSopClass.PatientRootFind or QueryRetrieveSopClass.StudyRootFind => node.Allows(NodeService.Find),
        QueryRetrieveSopClass.PatientRootMove or QueryRetrieveSopClass.StudyRootMove
            or QueryRetrieveSopClass.PatientRootGet or QueryRetrieveSopClass.StudyRootGet => node.Allows(NodeService.Retrieve),
        _ => node.Allows(NodeService.Store) || node.Allows(NodeService.Retrieve),
    };

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Association from {CallingAe} at {Remote} rejected: calling AE title not registered")]
    private static partial void LogUnregistered(ILogger logger, string callingAe, string remote);
}
