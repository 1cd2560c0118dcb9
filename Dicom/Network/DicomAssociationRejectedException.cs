using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>The peer refused the association (A-ASSOCIATE-RJ, PS3.8 7.1.1.7).</summary>
public sealed class DicomAssociationRejectedException(AssociateRejectPdu reject)
    : Exception($"association rejected: {reject}")
{
    public AssociateRejectPdu Reject { get; } = reject;
}
