namespace Pacs.Dicom.Dictionary;

/// <summary>
/// One attribute of the data dictionary (PS3.6 Table 6-1, 7-1 and 8-1).
/// </summary>
/// <param name="Tag">The tag; for a repeating group or element range, a representative member of it.</param>
/// <param name="Mask">
/// Bits of a tag that must equal those of <paramref name="Tag"/>: 0xFFFFFFFF for a plain tag, 0xFF00FFFF for the
/// repeating groups (50xx,eeee), (60xx,eeee) and (7Fxx,eeee), 0xFFFFFF0F for (0028,04x0) and so on. Repeating
/// groups are even (PS3.5 7.6): <see cref="DicomDictionary"/> never matches a private (odd) group against them.
/// </param>
/// <param name="Keyword">The PS3.6 keyword, e.g. "PatientName".</param>
/// <param name="Name">The PS3.6 attribute name, e.g. "Patient's Name".</param>
/// <param name="VRs">
/// The VRs PS3.6 allows, in the standard's order ("OB or OW" gives OB, OW); empty for Item and the delimitation
/// items, which have no VR. Shared between entries: do not modify.
/// </param>
/// <param name="VM">Value multiplicity as PS3.6 writes it: "1", "1-n", "2-2n"...</param>
/// <param name="IsRetired">True when PS3.6 marks the attribute RET.</param>
public sealed record DicomDictionaryEntry(
    DicomTag Tag,
    uint Mask,
    string Keyword,
    string Name,
    DicomVR[] VRs,
    string VM,
    bool IsRetired);
