using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>The association ended abnormally: A-ABORT from the peer or us, transport closed, or a timer expired.</summary>
public sealed class DicomAssociationAbortedException(string reason, AbortPdu? abort = null, Exception? inner = null)
    : Exception(reason, inner)
{
    public AbortPdu? Abort { get; } = abort;
}
