namespace Pacs.Dicom.Query;

/// <summary>
/// What the query model knows about attributes beyond the data dictionary: the information-model level each
/// belongs to (PS3.4 C.6.1.1, C.6.2.1), the unique keys, the attributes the archive derives (return keys only),
/// the DA/TM pairs of combined date-time matching, and the QIDO default return attributes (PS3.18 10.6.3.3).
/// </summary>
public static class QueryAttributes
{
    /// <summary>The unique key of a level (PS3.4 C.6.1.1.2-C.6.1.1.5).</summary>
    public static DicomTag UniqueKey(QueryLevel level) => level switch
    {
        QueryLevel.Patient => QueryTags.PatientID,
        QueryLevel.Study => QueryTags.StudyInstanceUID,
        QueryLevel.Series => QueryTags.SeriesInstanceUID,
        _ => QueryTags.SOPInstanceUID,
    };

    /// <summary>
    /// The level an attribute belongs to in the Patient Root model; null when the model does not place it
    /// (such an attribute is taken to belong to the queried level). In the Study Root model the patient
    /// attributes are study attributes (PS3.4 C.6.2.1.1).
    /// </summary>
    public static QueryLevel? LevelOf(DicomTag tag) => tag.Value switch
    {
        // Patient (PS3.4 Table C.6-1)
        0x00100010 or 0x00100020 or 0x00100021 or 0x00100022 or 0x00100024 or 0x00100030 or 0x00100032
            or 0x00100040 or 0x00101000 or 0x00101001 or 0x00101002 or 0x00102160 or 0x00104000
            or 0x00201200 or 0x00201202 or 0x00201204 => QueryLevel.Patient,
        // Study (Table C.6-2)
        0x00080020 or 0x00080030 or 0x00080050 or 0x00080051 or 0x00080061 or 0x00080062 or 0x00080090
            or 0x00081030 or 0x00081060 or 0x00081080 or 0x00081110 or 0x0020000D or 0x00200010
            or 0x00101010 or 0x00101020 or 0x00101030 or 0x00102180 or 0x001021B0
            or 0x00201206 or 0x00201208 => QueryLevel.Study,
        // Series (Table C.6-3)
        0x00080021 or 0x00080031 or 0x00080060 or 0x0008103E or 0x00081050 or 0x00081070 or 0x00080070
            or 0x00081010 or 0x00081090 or 0x00180015 or 0x00181030 or 0x0020000E or 0x00200011 or 0x00200060
            or 0x00201209 or 0x00400244 or 0x00400245 or 0x00400254 or 0x00400275 => QueryLevel.Series,
        // Composite object instance (Table C.6-4)
        0x00080008 or 0x00080012 or 0x00080013 or 0x00080016 or 0x00080018 or 0x00080022 or 0x00080023
            or 0x0008002A or 0x00080032 or 0x00080033 or 0x00200013 or 0x00200052 or 0x00280002 or 0x00280004
            or 0x00280008 or 0x00280010 or 0x00280011 or 0x00280100 or 0x00700080 => QueryLevel.Image,
        _ => null,
    };

    /// <summary>The level of <paramref name="tag"/> in <paramref name="model"/>, defaulting to <paramref name="queried"/>.</summary>
    public static QueryLevel LevelOf(DicomTag tag, QueryModel model, QueryLevel queried)
    {
        var level = LevelOf(tag) ?? queried;
        return model == QueryModel.StudyRoot && level == QueryLevel.Patient ? QueryLevel.Study : level;
    }

    /// <summary>
    /// Attributes the archive computes (PS3.4 C.6.1.1.3 and C.6.2.1.2 optional keys): accepted as keys and
    /// returned, but their values in a request never constrain (matching on them is not offered).
    /// ModalitiesInStudy and SOPClassesInStudy are derived too, but matching on them is offered.
    /// </summary>
    public static bool IsReturnOnly(DicomTag tag) => tag.Value switch
    {
        0x00201200 or 0x00201202 or 0x00201204 or 0x00201206 or 0x00201208 or 0x00201209 => true,
        // Values the responder fills in, never matched (PS3.4 C.4.1.1.3.2).
        0x00080054 or 0x00080056 or 0x00081190 or 0x00080201 => true,
        _ => false,
    };

    /// <summary>Elements of a request identifier that are not keys at all and never returned from the candidate.</summary>
    internal static bool IsControlElement(DicomTag tag) =>
        tag == QueryTags.QueryRetrieveLevel || tag == QueryTags.SpecificCharacterSet || tag == QueryTags.RetrieveAETitle
        || tag.IsGroupLength || tag.Group <= 0x0002;

    /// <summary>The TM partner of a DA attribute for combined date-time matching (PS3.4 C.2.2.2.5.1).</summary>
    public static bool TryGetTimePartner(DicomTag dateTag, out DicomTag timeTag)
    {
        timeTag = dateTag.Value switch
        {
            0x00080012 => QueryTags.InstanceCreationTime,
            0x00080020 => QueryTags.StudyTime,
            0x00080021 => QueryTags.SeriesTime,
            0x00080022 => QueryTags.AcquisitionTime,
            0x00080023 => QueryTags.ContentTime,
            0x00100030 => QueryTags.PatientBirthTime,
            0x00400244 => QueryTags.PerformedProcedureStepStartTime,
            _ => default,
        };
        return timeTag.Value != 0;
    }

    /// <summary>
    /// Attributes a QIDO response carries for each level without being asked (PS3.18 Tables 10.6.3-3 to -5).
    /// Specific Character Set and Retrieve URL are added by the responder, so they are not listed here.
    /// </summary>
    public static IReadOnlyList<DicomTag> QidoDefaults(QueryLevel level) => level switch
    {
        QueryLevel.Study => StudyDefaults,
        QueryLevel.Series => SeriesDefaults,
        QueryLevel.Image => InstanceDefaults,
        _ => [],
    };

    private static readonly DicomTag[] StudyDefaults =
    [
        QueryTags.StudyDate, QueryTags.StudyTime, QueryTags.AccessionNumber, QueryTags.InstanceAvailability,
        QueryTags.ModalitiesInStudy, QueryTags.ReferringPhysicianName, QueryTags.TimezoneOffsetFromUTC,
        QueryTags.PatientName, QueryTags.PatientID, QueryTags.PatientBirthDate, QueryTags.PatientSex,
        QueryTags.StudyInstanceUID, QueryTags.StudyID, QueryTags.NumberOfStudyRelatedSeries,
        QueryTags.NumberOfStudyRelatedInstances,
    ];

    private static readonly DicomTag[] SeriesDefaults =
    [
        QueryTags.Modality, QueryTags.TimezoneOffsetFromUTC, QueryTags.SeriesDescription,
        QueryTags.SeriesInstanceUID, QueryTags.SeriesNumber, QueryTags.NumberOfSeriesRelatedInstances,
        QueryTags.PerformedProcedureStepStartDate, QueryTags.PerformedProcedureStepStartTime,
        QueryTags.RequestAttributesSequence,
    ];

    private static readonly DicomTag[] InstanceDefaults =
    [
        QueryTags.SOPClassUID, QueryTags.SOPInstanceUID, QueryTags.InstanceAvailability,
        QueryTags.TimezoneOffsetFromUTC, QueryTags.InstanceNumber, QueryTags.Rows, QueryTags.Columns,
        QueryTags.BitsAllocated, QueryTags.NumberOfFrames,
    ];
}
