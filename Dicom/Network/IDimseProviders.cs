using Pacs.Dicom.IO;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Dicom.Network;

/// <summary>Verification SCP (PS3.4 A).</summary>
public interface ICEchoProvider
{
    ValueTask<DimseStatus> OnCEchoAsync(CEchoRequest request, AssociationInfo association, CancellationToken cancellationToken);
}

/// <summary>
/// Storage SCP (PS3.4 B). <paramref name="dataSet"/> yields the data set bytes (no Part 10 header) in
/// <paramref name="transferSyntax"/> while the PDVs arrive; the association waits while the provider does not read
/// (backpressure), so an instance of any size passes with bounded memory. The stream throws if the association
/// aborts mid-instance. A provider may return before reading everything; the rest is discarded.
/// </summary>
public interface ICStoreProvider
{
    ValueTask<DimseStatus> OnCStoreAsync(CStoreRequest request, Stream dataSet, DicomTransferSyntax transferSyntax, AssociationInfo association, CancellationToken cancellationToken);
}

/// <summary>
/// Query SCP (PS3.4 C.4.1). Matches are sent as pending responses as they are produced; C-CANCEL cancels the token
/// and the final response is then Cancel (FE00). Throw <see cref="DimseStatusException"/> for a specific failure.
/// The query root is the affected SOP class and the level is (0008,0052) of the identifier.
/// </summary>
public interface ICFindProvider
{
    IAsyncEnumerable<DicomDataset> OnCFindAsync(CFindRequest request, AssociationInfo association, CancellationToken cancellationToken);
}

/// <summary>
/// An instance to send as a C-STORE sub-operation, opened only when its turn comes. The stream yields the data set
/// (no preamble or meta header) in <see cref="TransferSyntax"/>.
/// </summary>
public sealed record InstanceToSend(
    string SopClassUid,
    string SopInstanceUid,
    DicomTransferSyntax TransferSyntax,
    Func<CancellationToken, ValueTask<Stream>> OpenDataSetAsync)
{
    /// <summary>Describes a Part 10 file from its meta header (PS3.10 7.1); the data set is opened at its offset when sent.</summary>
    public static async Task<InstanceToSend> FromFileAsync(string path, CancellationToken cancellationToken = default)
    {
        DicomReadResult header;
        var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 16 * 1024, useAsync: true);
        await using (probe.ConfigureAwait(false))
            header = await DicomReader.ReadFileAsync(probe, DicomReadOptions.HeaderOnly, cancellationToken).ConfigureAwait(false);
        var meta = header.FileMetaInformation ?? throw new DicomFormatException("not a Part 10 file: no file meta information", 0);
        var sopClass = meta.GetString(DicomTag.MediaStorageSOPClassUID) ?? header.Dataset.GetString(DicomTag.SOPClassUID)
            ?? throw new DicomFormatException("no SOP class UID", 0, DicomTag.MediaStorageSOPClassUID);
        var sopInstance = meta.GetString(DicomTag.MediaStorageSOPInstanceUID) ?? header.Dataset.GetString(DicomTag.SOPInstanceUID)
            ?? throw new DicomFormatException("no SOP instance UID", 0, DicomTag.MediaStorageSOPInstanceUID);
        var offset = header.DatasetOffset;
        return new InstanceToSend(sopClass, sopInstance, header.TransferSyntax, _ =>
        {
            var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true) { Position = offset };
            return ValueTask.FromResult<Stream>(s);
        });
    }
}

/// <summary>Where a C-MOVE destination AE title lives (resolved by the application).</summary>
public sealed record DicomPeer(string AeTitle, string Host, int Port);

/// <summary>Retrieve SCP with C-MOVE (PS3.4 C.4.2): sub-operations on a new association to the destination.</summary>
public interface ICMoveProvider
{
    /// <summary>Null when the AE title is unknown: answered with A801 (move destination unknown).</summary>
    ValueTask<DicomPeer?> ResolveDestinationAsync(string moveDestination, AssociationInfo association, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<InstanceToSend>> GetInstancesAsync(CMoveRequest request, AssociationInfo association, CancellationToken cancellationToken);
}

/// <summary>Retrieve SCP with C-GET (PS3.4 C.4.3): sub-operations on the same association, the requestor as storage SCP.</summary>
public interface ICGetProvider
{
    ValueTask<IReadOnlyList<InstanceToSend>> GetInstancesAsync(CGetRequest request, AssociationInfo association, CancellationToken cancellationToken);
}

/// <summary>The services an association answers; a missing one answers its requests with a failure status.</summary>
public sealed record DicomServiceProviders
{
    public ICEchoProvider? Echo { get; init; }
    public ICStoreProvider? Store { get; init; }
    public ICFindProvider? Find { get; init; }
    public ICMoveProvider? Move { get; init; }
    public ICGetProvider? Get { get; init; }

    /// <summary>C-ECHO always succeeds: the default verification SCP.</summary>
    public static ICEchoProvider AlwaysSuccessEcho { get; } = new SuccessEcho();

    private sealed class SuccessEcho : ICEchoProvider
    {
        public ValueTask<DimseStatus> OnCEchoAsync(CEchoRequest request, AssociationInfo association, CancellationToken cancellationToken) =>
            ValueTask.FromResult(DimseStatus.Success);
    }
}
