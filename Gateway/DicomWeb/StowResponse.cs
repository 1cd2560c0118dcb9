using Pacs.Dicom;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// The Store Instances response (PS3.18 10.5.3): one ReferencedSOPSequence item per stored instance, one
/// FailedSOPSequence item per refused part, and the HTTP status the mix calls for.
/// </summary>
/// <param name="baseUrl">The DICOMweb root as the client reached it (<see cref="DicomWebUris.BaseUrl"/>).</param>
internal sealed class StowResponse(string baseUrl, string? requestStudyUid)
{
    // PS3.18 Table 10.5.3-1 failure reasons (values from PS3.4 / PS3.7 status codes).
    public const ushort ProcessingFailure = 0x0110;
    public const ushort DuplicateSopInstance = 0x0111;
    public const ushort SopClassNotSupported = 0x0122;
    public const ushort OutOfResources = 0xA700;
    public const ushort DataSetDoesNotMatchSopClass = 0xA900;
    public const ushort CannotUnderstand = 0xC000;

    // PS3.18 Table 10.5.3-2 warning reasons.
    public const ushort DataSetDoesNotMatchSopClassWarning = 0xB007;
    public const ushort CoercionOfDataElements = 0xB000;

    private readonly List<DicomDataset> _referenced = [];
    private readonly List<DicomDataset> _failed = [];
    private readonly HashSet<string> _studies = new(StringComparer.Ordinal);
    private bool _warnings;

    public int StoredCount => _referenced.Count;
    public int FailedCount => _failed.Count;

    /// <summary>Maps an ingest outcome to its sequence item.</summary>
    public void Add(IngestResult result)
    {
        if (result.IsSuccess)
        {
            var item = Item(result.SopClassUid, result.SopInstanceUid);
            item.SetString(DicomTag.RetrieveURL, DicomVR.UR, InstanceUrl(result));
            if (result.Status == IngestStatus.Conflict)
            {
                // Keep-first: what the archive holds under this SOP Instance UID is not what was sent (the sent copy is
                // held for review, /api/conflicts); a warning, as for C-STORE (docs/conformance.md 5.2).
                item.SetUInt16(DicomTag.WarningReason, DicomVR.US, CoercionOfDataElements);
                _warnings = true;
            }
            else if (result.Warnings is { Count: > 0 })
            {
                // Value-level problems the reader tolerated (odd lengths, unknown VRs...): stored as received, flagged.
                item.SetUInt16(DicomTag.WarningReason, DicomVR.US, DataSetDoesNotMatchSopClassWarning);
                _warnings = true;
            }

            _referenced.Add(item);
            if (result.StudyInstanceUid is { } study)
            {
                _studies.Add(study);
            }

            return;
        }

        AddFailure(result.SopClassUid, result.SopInstanceUid, result.Status switch
        {
            IngestStatus.CannotUnderstand => CannotUnderstand,
            IngestStatus.DataSetDoesNotMatch => DataSetDoesNotMatchSopClass,
            IngestStatus.OutOfResources => OutOfResources,
            IngestStatus.RejectedDuplicate => DuplicateSopInstance,
            // PS3.18 10.5.3: a Study Instance UID that differs from the one in the target URL is a processing failure.
            IngestStatus.StudyUidMismatch => ProcessingFailure,
            _ => ProcessingFailure,
        });
    }

    public void AddFailure(string? sopClassUid, string? sopInstanceUid, ushort reason)
    {
        var item = Item(sopClassUid, sopInstanceUid);
        item.SetUInt16(DicomTag.FailureReason, DicomVR.US, reason);
        _failed.Add(item);
    }

    /// <summary>PS3.18 10.5.3: 200 all stored, 202 some failed or warnings, 409 none stored.</summary>
    public int StatusCode =>
        _referenced.Count == 0 ? StatusCodes.Status409Conflict
        : _failed.Count > 0 || _warnings ? StatusCodes.Status202Accepted
        : StatusCodes.Status200OK;

    public DicomDataset ToDataset()
    {
        var ds = new DicomDataset();
        // The study's URL: the one the request named, or the only study the stored instances belong to.
        var study = requestStudyUid ?? (_studies.Count == 1 ? _studies.First() : null);
        if (study is not null && _referenced.Count > 0)
        {
            ds.SetString(DicomTag.RetrieveURL, DicomVR.UR, DicomWebUris.Study(baseUrl, study));
        }

        if (_failed.Count > 0)
        {
            ds.Set(DicomTag.FailedSOPSequence, new DicomSequence(_failed) { UndefinedLength = false });
        }

        if (_referenced.Count > 0)
        {
            ds.Set(DicomTag.ReferencedSOPSequence, new DicomSequence(_referenced) { UndefinedLength = false });
        }

        return ds;
    }

    private string InstanceUrl(IngestResult r) => DicomWebUris.Instance(baseUrl, r.StudyInstanceUid!, r.SeriesInstanceUid!, r.SopInstanceUid!);

    private static DicomDataset Item(string? sopClassUid, string? sopInstanceUid)
    {
        var item = new DicomDataset();
        item.SetString(DicomTag.ReferencedSOPClassUID, DicomVR.UI, sopClassUid ?? "");
        item.SetString(DicomTag.ReferencedSOPInstanceUID, DicomVR.UI, sopInstanceUid ?? "");
        return item;
    }
}
