namespace Pacs.Dicom;

// TEMPORARY: replaced by the generated DicomTag.g.cs (delete this file when the generator lands).
public readonly partial record struct DicomTag
{
    public static readonly DicomTag FileMetaInformationGroupLength = new(0x00020000);
    public static readonly DicomTag FileMetaInformationVersion = new(0x00020001);
    public static readonly DicomTag MediaStorageSOPClassUID = new(0x00020002);
    public static readonly DicomTag MediaStorageSOPInstanceUID = new(0x00020003);
    public static readonly DicomTag TransferSyntaxUID = new(0x00020010);
    public static readonly DicomTag ImplementationClassUID = new(0x00020012);
    public static readonly DicomTag ImplementationVersionName = new(0x00020013);
    public static readonly DicomTag SourceApplicationEntityTitle = new(0x00020016);
    public static readonly DicomTag SpecificCharacterSet = new(0x00080005);
    public static readonly DicomTag SOPClassUID = new(0x00080016);
    public static readonly DicomTag SOPInstanceUID = new(0x00080018);
    public static readonly DicomTag PatientName = new(0x00100010);
    public static readonly DicomTag PatientID = new(0x00100020);
    public static readonly DicomTag StudyInstanceUID = new(0x0020000D);
    public static readonly DicomTag SeriesInstanceUID = new(0x0020000E);
    public static readonly DicomTag FloatPixelData = new(0x7FE00008);
    public static readonly DicomTag DoubleFloatPixelData = new(0x7FE00009);
    public static readonly DicomTag PixelData = new(0x7FE00010);
}
public readonly partial record struct DicomTag
{
    public static readonly DicomTag Item = new(0xFFFEE000);
    public static readonly DicomTag ItemDelimitationItem = new(0xFFFEE00D);
    public static readonly DicomTag SequenceDelimitationItem = new(0xFFFEE0DD);
}
