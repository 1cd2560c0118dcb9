using Pacs.Dicom.IO;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Dicom.Network;

/// <summary>Retrieve SCP with C-MOVE (PS3.4 C.4.2): sub-operations on a new association to the destination.</summary>
public interface ICMoveProvider
{
    /// <summary>Null when the AE title is unknown: answered with A801 (move destination unknown).</summary>
    ValueTask<DicomPeer?> ResolveDestinationAsync(string moveDestination, AssociationInfo association, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<InstanceToSend>> GetInstancesAsync(CMoveRequest request, AssociationInfo association, CancellationToken cancellationToken);
}
