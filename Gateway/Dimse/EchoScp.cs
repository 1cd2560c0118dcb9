using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Gateway.Dimse;

/// <summary>Verification SCP (PS3.4 A): success whenever the association is up.</summary>
internal sealed class EchoScp : ICEchoProvider
{
    public ValueTask<DimseStatus> OnCEchoAsync(CEchoRequest request, AssociationInfo association, CancellationToken cancellationToken) =>
        ValueTask.FromResult(DimseStatus.Success);
}
