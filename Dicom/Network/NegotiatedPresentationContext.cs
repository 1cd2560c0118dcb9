using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>A presentation context as negotiated (PS3.8 9.3.3.2), with the SCP/SCU roles agreed (PS3.7 D.3.3.4).</summary>
public sealed record NegotiatedPresentationContext(
    byte Id,
    string AbstractSyntax,
    PresentationContextResultReason Result,
    DicomTransferSyntax? TransferSyntax,
    bool RequestorIsScu = true,
    bool RequestorIsScp = false)
{
    public bool IsAccepted => Result == PresentationContextResultReason.Acceptance && TransferSyntax is not null;
}
