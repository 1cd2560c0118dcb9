namespace Pacs.Dicom.Query;

// Tags the query code names. Local so that this folder does not depend on which generated constants exist yet.
internal static class QueryTags
{
    public static readonly DicomTag SpecificCharacterSet = new(0x00080005);
    public static readonly DicomTag InstanceCreationDate = new(0x00080012);
    public static readonly DicomTag InstanceCreationTime = new(0x00080013);
    public static readonly DicomTag SOPClassUID = new(0x00080016);
    public static readonly DicomTag SOPInstanceUID = new(0x00080018);
    public static readonly DicomTag StudyDate = new(0x00080020);
    public static readonly DicomTag SeriesDate = new(0x00080021);
    public static readonly DicomTag AcquisitionDate = new(0x00080022);
    public static readonly DicomTag ContentDate = new(0x00080023);
    public static readonly DicomTag StudyTime = new(0x00080030);
    public static readonly DicomTag SeriesTime = new(0x00080031);
    public static readonly DicomTag AcquisitionTime = new(0x00080032);
    public static readonly DicomTag ContentTime = new(0x00080033);
    public static readonly DicomTag AccessionNumber = new(0x00080050);
    public static readonly DicomTag QueryRetrieveLevel = new(0x00080052);
    public static readonly DicomTag RetrieveAETitle = new(0x00080054);
    public static readonly DicomTag InstanceAvailability = new(0x00080056);
    public static readonly DicomTag Modality = new(0x00080060);
    public static readonly DicomTag ModalitiesInStudy = new(0x00080061);
    public static readonly DicomTag SOPClassesInStudy = new(0x00080062);
    public static readonly DicomTag ReferringPhysicianName = new(0x00080090);
    public static readonly DicomTag TimezoneOffsetFromUTC = new(0x00080201);
    public static readonly DicomTag StudyDescription = new(0x00081030);
    public static readonly DicomTag SeriesDescription = new(0x0008103E);
    public static readonly DicomTag RetrieveURL = new(0x00081190);
    public static readonly DicomTag PatientName = new(0x00100010);
    public static readonly DicomTag PatientID = new(0x00100020);
    public static readonly DicomTag PatientBirthDate = new(0x00100030);
    public static readonly DicomTag PatientBirthTime = new(0x00100032);
    public static readonly DicomTag PatientSex = new(0x00100040);
    public static readonly DicomTag StudyInstanceUID = new(0x0020000D);
    public static readonly DicomTag SeriesInstanceUID = new(0x0020000E);
    public static readonly DicomTag StudyID = new(0x00200010);
    public static readonly DicomTag SeriesNumber = new(0x00200011);
    public static readonly DicomTag InstanceNumber = new(0x00200013);
    public static readonly DicomTag NumberOfPatientRelatedStudies = new(0x00201200);
    public static readonly DicomTag NumberOfPatientRelatedSeries = new(0x00201202);
    public static readonly DicomTag NumberOfPatientRelatedInstances = new(0x00201204);
    public static readonly DicomTag NumberOfStudyRelatedSeries = new(0x00201206);
    public static readonly DicomTag NumberOfStudyRelatedInstances = new(0x00201208);
    public static readonly DicomTag NumberOfSeriesRelatedInstances = new(0x00201209);
    public static readonly DicomTag NumberOfFrames = new(0x00280008);
    public static readonly DicomTag Rows = new(0x00280010);
    public static readonly DicomTag Columns = new(0x00280011);
    public static readonly DicomTag BitsAllocated = new(0x00280100);
    public static readonly DicomTag ScheduledProcedureStepID = new(0x00400009);
    public static readonly DicomTag PerformedProcedureStepStartDate = new(0x00400244);
    public static readonly DicomTag PerformedProcedureStepStartTime = new(0x00400245);
    public static readonly DicomTag RequestAttributesSequence = new(0x00400275);
    public static readonly DicomTag RequestedProcedureID = new(0x00401001);
}
