using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Gateway.Dimse;

/// <summary>Retrieve SCP with C-GET (PS3.4 C.4.3): the same selection as C-MOVE, sent back on the requestor's association.</summary>
internal sealed class GetScp(RetrieveInstances instances) : ICGetProvider
{
    public ValueTask<IReadOnlyList<InstanceToSend>> GetInstancesAsync(CGetRequest request, AssociationInfo association, CancellationToken cancellationToken) =>
        instances.SelectAsync(request.Identifier, request.AffectedSopClassUid, association, "C-GET", null, cancellationToken);
}
