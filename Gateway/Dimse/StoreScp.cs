using Pacs.Dicom;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// Storage SCP (PS3.4 B): hands the data set stream to the one ingest funnel and answers with the DIMSE status of the
/// outcome. The C-STORE response is sent only after <see cref="IngestService.StoreAsync"/> returns, i.e. after the
/// blob is durable and the index committed: an acknowledged image is never lost.
/// </summary>
internal sealed partial class StoreScp(IngestService ingest, NodeAccess access, DimseAudit audit, ILogger<StoreScp> logger) : ICStoreProvider
{
    /// <summary>Duplicate SOP Instance (PS3.7 C.5.8): the "reject" policy's answer to different bytes for a stored instance.</summary>
    public static readonly DimseStatus DuplicateSopInstance = new(0x0111);

    public async ValueTask<DimseStatus> OnCStoreAsync(CStoreRequest request, Stream dataSet, DicomTransferSyntax transferSyntax, AssociationInfo association, CancellationToken cancellationToken)
    {
        // A node registered for retrieval only has storage contexts for its C-GET (RegisteredNodePolicy), not to store.
        if (!await access.AllowsAsync(association.CallingAeTitle, Pacs.Index.NodeService.Store, cancellationToken).ConfigureAwait(false))
        {
            audit.Record(association, "store", "denied", sopInstanceUid: request.AffectedSopInstanceUid);
            return DimseStatus.NotAuthorized.WithComment("this calling AE title may not store");
        }
        // The same for an account whose role may retrieve (C-GET) but not upload (DimseRoles).
        if (association.User is { } user && !DimseRoles.Allows(user, DimseRoles.Store))
        {
            audit.Record(association, "store", "denied", sopInstanceUid: request.AffectedSopInstanceUid);
            return DimseStatus.NotAuthorized.WithComment("this account may not store");
        }
        var ingestRequest = new IngestRequest
        {
            TransferSyntax = transferSyntax,
            Source = "dimse:" + association.CallingAeTitle,
            ExpectedSopClassUid = request.AffectedSopClassUid,
            ExpectedSopInstanceUid = request.AffectedSopInstanceUid,
        };
        IngestResult result;
        try
        {
            result = await ingest.StoreAsync(ingestRequest, dataSet, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the association is going away; nobody to answer
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogUnexpected(logger, association.CallingAeTitle, ex);
            audit.Record(association, "store", "error", sopInstanceUid: request.AffectedSopInstanceUid);
            return DimseStatus.ProcessingFailure.WithComment("internal error");
        }
        var status = ToDimseStatus(result);
        audit.Record(association, "store", result.IsSuccess ? "success" : "failure", studyInstanceUid: result.StudyInstanceUid,
            sopInstanceUid: result.SopInstanceUid ?? request.AffectedSopInstanceUid,
            detail: new Dictionary<string, string>(StringComparer.Ordinal) { ["status"] = result.Status.ToString() });
        if (!status.IsSuccess)
        {
            LogRefused(logger, association.CallingAeTitle, result.Status, status.Code);
        }

        return status;
    }

    /// <summary>
    /// PS3.4 B.2.3 statuses. Stored, Duplicate (same bytes again) and Replaced (policy) are Success: the instance the
    /// SCU sent is what the archive holds. Warnings of the funnel (values it noted but kept) are not coercions, so
    /// they stay 0000; B000 tells the SCU that the stored values differ from the ones sent, which is true only of a
    /// keep-first conflict (the first copy stays; this one is held for review).
    /// </summary>
    public static DimseStatus ToDimseStatus(IngestResult result)
    {
        DimseStatus Commented(DimseStatus s) => result.ErrorComment is { Length: > 0 } c ? s.WithComment(DimseStatus.TruncateErrorComment(c)) : s;
        return result.Status switch
        {
            IngestStatus.Stored or IngestStatus.Duplicate or IngestStatus.Replaced => DimseStatus.Success,
            IngestStatus.CannotUnderstand => Commented(DimseStatus.CannotUnderstand),
            // A900 "Data Set does not match SOP Class": also used for identifying UIDs missing or differing from the command.
            IngestStatus.DataSetDoesNotMatch or IngestStatus.StudyUidMismatch => Commented(new DimseStatus(0xA900)),
            IngestStatus.OutOfResources => Commented(DimseStatus.OutOfResources),
            IngestStatus.RejectedDuplicate => Commented(DuplicateSopInstance),
            // Keep-first: the archive's instance differs from the one sent (B000, PS3.4 Table B.2-1), and a retry cannot
            // change that, so a warning (not a failure a modality would keep re-queuing); the copy is held for review.
            IngestStatus.Conflict => Commented(new DimseStatus(0xB000)),
            _ => Commented(DimseStatus.ProcessingFailure),
        };
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "C-STORE from {CallingAe} refused: {Outcome} (status 0x{Status:X4})")]
    private static partial void LogRefused(ILogger logger, string callingAe, IngestStatus outcome, ushort status);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "C-STORE from {CallingAe} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, string callingAe, Exception exception);
}
