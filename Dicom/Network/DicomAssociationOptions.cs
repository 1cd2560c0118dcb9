using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>Limits and timers of one association, for either role (PS3.8 9.1.5 ARTIM, and local policy).</summary>
public sealed record DicomAssociationOptions
{
    /// <summary>Our implementation class UID (PS3.7 D.3.3.2), sent in every A-ASSOCIATE-RQ/AC.</summary>
    public string ImplementationClassUid { get; init; } = DicomUidGenerator.ImplementationClassUid;
    public string ImplementationVersionName { get; init; } = DicomUidGenerator.ImplementationVersionName;

    /// <summary>Maximum P-DATA-TF PDU length we announce (51h); peers must not send longer PDUs.</summary>
    public uint MaxReceivePduLength { get; init; } = 256 * 1024;

    /// <summary>Cap on P-DATA-TF PDUs we send, even if the peer announces more or no limit.</summary>
    public uint MaxSendPduLength { get; init; } = 256 * 1024;

    /// <summary>Hard limits on declared PDU lengths, checked before anything is buffered.</summary>
    public PduLimits Limits { get; init; } = PduLimits.Default;

    /// <summary>Largest C-FIND/C-MOVE/C-GET identifier buffered in memory.</summary>
    public int MaxIdentifierLength { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// ARTIM (PS3.8 9.1.5): waiting for A-ASSOCIATE-RQ/AC/RJ, A-RELEASE-RP, or the peer's close. Short, because a
    /// connection that has not negotiated yet holds a slot of its address's quota without having said who it is.
    /// </summary>
    public TimeSpan ArtimTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>No PDU from the peer for this long while no operation runs: the association is aborted.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The idle timeout of an acceptor's association that has received no DIMSE message since it was established
    /// (the lesser of this and <see cref="IdleTimeout"/> applies): an association opened only to be held is let go
    /// sooner than one that is in use between requests.
    /// </summary>
    public TimeSpan FirstRequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Waiting for the rest of a PDU or message, or for a DIMSE response: beyond this, A-ABORT.</summary>
    public TimeSpan DimseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Pipe pause threshold feeding a C-STORE data set to the provider: the memory bound per instance.</summary>
    public long StoreStreamBufferBytes { get; init; } = 1024 * 1024;
}
