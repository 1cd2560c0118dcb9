using System.Buffers;

namespace Pacs.Dicom.Network.Pdus;

/// <summary>
/// Upper bounds applied to a PDU's declared length before any byte of its body is buffered or allocated.
/// A peer that declares more is refused (A-ABORT) instead of being trusted (PS3.8 9.3.1 gives no bound of its own).
/// </summary>
public readonly record struct PduLimits(uint MaxAssociatePduLength, uint MaxPDataPduLength)
{
    /// <summary>64 KiB for association negotiation PDUs, 16 MiB for P-DATA-TF.</summary>
    public static PduLimits Default { get; } = new(64 * 1024, 16 * 1024 * 1024);

    public uint For(PduType type) => type switch
    {
        PduType.PDataTransfer => MaxPDataPduLength,
        PduType.AssociateRequest or PduType.AssociateAccept => MaxAssociatePduLength,
        _ => 4, // RJ, release and abort PDUs have a fixed 4-byte body (PS3.8 9.3.4, 9.3.6-9.3.8)
    };
}
