using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Index;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// Retrieve SCP with C-MOVE (PS3.4 C.4.2): the destination AE title is looked up in the node registry (unknown:
/// A801), the instances come from the index and the blob store; the network layer runs the sub-operations on a new
/// association and reports the counts.
/// </summary>
internal sealed class MoveScp(NodeRegistry nodes, RetrieveInstances instances) : ICMoveProvider
{
    public async ValueTask<DicomPeer?> ResolveDestinationAsync(string moveDestination, AssociationInfo association, CancellationToken cancellationToken)
    {
        var node = await nodes.FindAsync(moveDestination.Trim(), cancellationToken).ConfigureAwait(false);
        return node is null ? null : new DicomPeer(node.AeTitle, node.Host, node.Port);
    }

    public ValueTask<IReadOnlyList<InstanceToSend>> GetInstancesAsync(CMoveRequest request, AssociationInfo association, CancellationToken cancellationToken) =>
        instances.SelectAsync(request.Identifier, request.AffectedSopClassUid, association, "C-MOVE", request.MoveDestination, cancellationToken);
}
