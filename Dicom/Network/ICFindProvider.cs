using Pacs.Dicom.IO;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Dicom.Network;

/// <summary>
/// Query SCP (PS3.4 C.4.1). Matches are sent as pending responses as they are produced; C-CANCEL cancels the token
/// and the final response is then Cancel (FE00). Throw <see cref="DimseStatusException"/> for a specific failure.
/// The query root is the affected SOP class and the level is (0008,0052) of the identifier.
/// </summary>
public interface ICFindProvider
{
    IAsyncEnumerable<DicomDataset> OnCFindAsync(CFindRequest request, AssociationInfo association, CancellationToken cancellationToken);
}
