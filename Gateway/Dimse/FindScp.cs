using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Pacs.Dicom;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Query;
using Pacs.Gateway.Auth;
using Pacs.Index.Read;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// Query SCP (PS3.4 C.4.1) for Patient Root and Study Root at every level: the identifier becomes a typed query, the
/// index answers it in SQL (<see cref="IndexQuery"/>), and each match is projected to the requested keys and streamed
/// back as a pending response. C-CANCEL cancels the token, which ends the database read.
/// </summary>
internal sealed class FindScp(IndexReader index, IOptions<GatewayHostOptions> host, DimseAudit audit) : ICFindProvider
{
    public async IAsyncEnumerable<DicomDataset> OnCFindAsync(CFindRequest request, AssociationInfo association, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One record per request, written when the response stream ends (completed, cancelled or failed).
        var matches = 0;
        var outcome = "failure";
        try
        {
            var query = QueryFromIdentifier(request.Identifier, request.AffectedSopClassUid, association.RelationalQueriesAgreed(request.AffectedSopClassUid));
            var constant = ConstantKeys(query, host.Value.AeTitle);
            // The account of a user identity sees its access groups' studies only, as QIDO-RS (PS3.7 D.3.3.7; issue 12).
            await foreach (var match in index.FindAsync(query, association.User?.StudyGroupsOf(), cancellationToken).ConfigureAwait(false))
            {
                matches++;
                yield return Response(query, match.Candidate, constant);
            }

            outcome = "success";
        }
        finally
        {
            audit.Record(association, "query", outcome, request.Identifier, detail: new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["service"] = "C-FIND",
                ["sopClassUid"] = request.AffectedSopClassUid,
                ["matches"] = matches.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }
    }

    /// <summary>The typed query, or the DIMSE failure the parser chose (A900, C000, 0122) with its offending element.</summary>
    /// <param name="relational">Relational queries were agreed by extended negotiation (PS3.4 C.4.1.2.2); C-MOVE and C-GET never ask.</param>
    public static DicomQuery QueryFromIdentifier(DicomDataset identifier, string sopClassUid, bool relational = false)
    {
        var parsed = DicomQuery.FromIdentifier(identifier, sopClassUid, relational);
        if (!parsed.IsSuccess)
        {
            throw new DimseStatusException(new DimseStatus(parsed.Error.DimseStatus, DimseStatus.TruncateErrorComment(parsed.Error.Message), parsed.Error.OffendingElement));
        }

        if (parsed.Query.Model == QueryModel.PatientStudyOnly)
        {
            throw new DimseStatusException(DimseStatus.SopClassNotSupported);
        }

        return parsed.Query;
    }

    /// <summary>
    /// The response identifier (PS3.4 C.4.1.1.3.2): the requested keys from the candidate, Query/Retrieve Level,
    /// Retrieve AE Title (where the match can be retrieved from: this archive), and Specific Character Set
    /// "ISO_IR 192" when any value is not ASCII (the index keeps every value in Unicode).
    /// </summary>
    public static DicomDataset Response(DicomQuery query, DicomDataset candidate, string aeTitle) => Response(query, candidate, ConstantKeys(query, aeTitle));

    private static DicomDataset Response(DicomQuery query, DicomDataset candidate, (DicomElement Level, DicomElement RetrieveAe) constant)
    {
        var response = InMemoryMatcher.Project(query, candidate);
        response.Set(constant.Level);
        response.Set(constant.RetrieveAe);
        if (HasNonAscii(response))
        {
            response.SetString(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        }

        return response;
    }

    /// <summary>Query/Retrieve Level and Retrieve AE Title, the same in every response to one request: encoded once.</summary>
    private static (DicomElement Level, DicomElement RetrieveAe) ConstantKeys(DicomQuery query, string aeTitle)
    {
        var keys = new DicomDataset(2);
        keys.SetString(DicomTag.QueryRetrieveLevel, DicomVR.CS, query.Level.ToCode());
        keys.SetString(DicomTag.RetrieveAETitle, DicomVR.AE, aeTitle);
        keys.TryGetElement(DicomTag.QueryRetrieveLevel, out var level);
        keys.TryGetElement(DicomTag.RetrieveAETitle, out var retrieveAe);
        return (level, retrieveAe);
    }

    private static bool HasNonAscii(DicomDataset ds)
    {
        foreach (var e in ds)
        {
            if (e.Sequence is { } sq)
            {
                foreach (var item in sq.Items)
                {
                    if (HasNonAscii(item))
                    {
                        return true;
                    }
                }

                continue;
            }
            if (!e.VR.UsesSpecificCharacterSet)
            {
                continue;
            }

            foreach (var b in e.Value.Span)
            {
                if (b >= 0x80)
                {
                    return true;
                }
            }
        }
        return false;
    }
}
