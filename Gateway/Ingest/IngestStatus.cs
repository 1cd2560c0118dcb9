using Pacs.Dicom;

namespace Pacs.Gateway.Ingest;

/// <summary>The outcome the entry point maps to its own protocol (DIMSE status, STOW FailureReason).</summary>
public enum IngestStatus
{
    Stored,
    /// <summary>Same SOP Instance with the same bytes: success, nothing changed.</summary>
    Duplicate,
    /// <summary>Same SOP Instance with different bytes, replaced per policy (and audited).</summary>
    Replaced,
    /// <summary>Not DICOM or structurally corrupt, e.g. ending before its declared lengths (DIMSE C000 "cannot understand", STOW 0xC000).</summary>
    CannotUnderstand,
    /// <summary>
    /// Required identifying attributes missing or invalid, or not matching the command; or Pixel Data that cannot hold
    /// the image the header describes (DIMSE A900, STOW 0xA900).
    /// </summary>
    DataSetDoesNotMatch,
    /// <summary>Study UID differs from the STOW URL's (STOW 0x0110 per PS3.18 Table 10.5.3-1 usage of processing failure).</summary>
    StudyUidMismatch,
    /// <summary>Storage or database unavailable (DIMSE A700 out of resources, STOW 0xA700).</summary>
    OutOfResources,
    /// <summary>Different bytes for a stored instance under the "reject" policy.</summary>
    RejectedDuplicate,
    /// <summary>
    /// Different bytes for a stored instance under the "keep first" policy (the default): the stored instance stays,
    /// this copy is kept aside for an administrator (/api/conflicts). A warning, not a failure (DIMSE B000, STOW
    /// WarningReason 0xB000): see docs/conformance.md 5.2.
    /// </summary>
    Conflict,
    /// <summary>The sender went away mid-instance: nothing stored, nobody to answer.</summary>
    Aborted,
}
