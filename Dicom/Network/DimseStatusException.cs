using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>Thrown by a provider to answer with a specific DIMSE status instead of the generic failure.</summary>
public sealed class DimseStatusException(DimseStatus status) : Exception(status.ToString())
{
    public DimseStatus Status { get; } = status;
}
