using Pacs.Dicom.IO;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Dicom.Network;

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
