using Pacs.Dicom.IO;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Dicom.Network;

/// <summary>Retrieve SCP with C-GET (PS3.4 C.4.3): sub-operations on the same association, the requestor as storage SCP.</summary>
public interface ICGetProvider
{
    ValueTask<IReadOnlyList<InstanceToSend>> GetInstancesAsync(CGetRequest request, AssociationInfo association, CancellationToken cancellationToken);
}
