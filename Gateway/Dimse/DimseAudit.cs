using System.Net;
using Pacs.Dicom;
using Pacs.Dicom.Network;
using Pacs.Gateway.Audit;
using Pacs.Gateway.Auth;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// Audit records of DIMSE requests: the actor is the account of the association's user identity (PS3.7 D.3.3.7), with
/// its role and the calling AE title in the detail, else the calling AE title ("ae:TITLE"); the client the peer's address.
/// One record per C-FIND, C-MOVE and C-GET request, and one per C-STORE instance: an association may carry several
/// studies and patients, and a per-instance record names the study each instance went to; it costs one queue write
/// and one row of a batched INSERT, a small fraction of the instance's own index write.
/// </summary>
internal sealed class DimseAudit(AuditWriter writer)
{
    public void Record(AssociationInfo association, string action, string outcome, DicomDataset? identifier = null,
        string? studyInstanceUid = null, string? sopInstanceUid = null, IReadOnlyDictionary<string, string>? detail = null)
    {
        var user = association.User?.UsernameOf();
        if (user is not null)
        {
            var withAe = new Dictionary<string, string>(StringComparer.Ordinal) { ["callingAe"] = association.CallingAeTitle.Trim() };
            foreach (var (key, value) in detail ?? new Dictionary<string, string>())
            {
                withAe[key] = value;
            }

            detail = withAe;
        }
        writer.Record(new AuditRecord
        {
            Actor = user ?? "ae:" + association.CallingAeTitle.Trim(),
            Role = association.User?.RoleOf() ?? "",
            ClientAddress = association.RemoteEndPoint switch
            {
                IPEndPoint ip => ip.Address.ToString(),
                { } other => other.ToString() ?? "",
                null => "",
            },
            Action = action,
            Outcome = outcome,
            PatientId = Value(identifier?.GetString(DicomTag.PatientID)),
            StudyInstanceUid = studyInstanceUid ?? Value(identifier?.GetString(DicomTag.StudyInstanceUID)),
            SopInstanceUid = sopInstanceUid ?? Value(identifier?.GetString(DicomTag.SOPInstanceUID)),
            Detail = detail,
        });
    }

    // A universal match (empty) or a list of UIDs (PS3.4 C.2.2.2.2) is kept as sent, clipped.
    private static string? Value(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Length <= 1024 ? s : s[..1024];
}
