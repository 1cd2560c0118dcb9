using Pacs.Dicom;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Query;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// The gateway's association policy (PS3.8 7.1.1.7-9): the called AE title must be ours, the calling AE title must be
/// in the allow-list when one is configured, and the presentation contexts accepted are verification, Patient and
/// Study Root FIND/MOVE/GET, and every storage SOP class of the dictionary (plus any other under the storage root)
/// in every transfer syntax the library carries except the deflated ones, because the data set is stored as
/// received and served again in that syntax.
/// </summary>
internal static class GatewayAssociationPolicy
{
    public static DefaultAssociationPolicy Create(string aeTitle, IEnumerable<string> callingAeTitles)
    {
        var calling = callingAeTitles.Select(a => a.Trim()).Where(a => a.Length > 0).ToHashSet(StringComparer.Ordinal);
        var syntaxes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            [CEchoRequest.VerificationSopClassUid] = DefaultAssociationPolicy.UncompressedPreference,
        };
        foreach (var uid in QueryRetrieveSopClasses)
        {
            syntaxes[uid] = DefaultAssociationPolicy.UncompressedPreference;
        }

        foreach (var uid in DicomUids.StorageSopClasses)
        {
            syntaxes[uid] = StorageTransferSyntaxes;
        }

        return new DefaultAssociationPolicy
        {
            CalledAeTitles = new HashSet<string>([aeTitle.Trim()], StringComparer.Ordinal),
            CallingAeTitles = calling.Count == 0 ? null : calling,
            AbstractSyntaxes = syntaxes,
            AcceptAnyStorage = true,
            AcceptScpRole = true,
            RelationalQuerySopClasses = new HashSet<string>([QueryRetrieveSopClass.PatientRootFind, QueryRetrieveSopClass.StudyRootFind], StringComparer.Ordinal),
        };
    }

    public static readonly IReadOnlyList<string> QueryRetrieveSopClasses =
    [
        QueryRetrieveSopClass.PatientRootFind, QueryRetrieveSopClass.PatientRootMove, QueryRetrieveSopClass.PatientRootGet,
        QueryRetrieveSopClass.StudyRootFind, QueryRetrieveSopClass.StudyRootMove, QueryRetrieveSopClass.StudyRootGet,
    ];

    /// <summary>Explicit then implicit VR LE first (PS3.5 A.1 default), then whatever else the SCU proposes that we carry.</summary>
    public static readonly IReadOnlyList<string> StorageTransferSyntaxes =
    [
        .. DefaultAssociationPolicy.UncompressedPreference,
        .. DicomTransferSyntax.All.Where(ts => !ts.IsDeflated && !DefaultAssociationPolicy.UncompressedPreference.Contains(ts.Uid)).Select(ts => ts.Uid),
    ];
}
