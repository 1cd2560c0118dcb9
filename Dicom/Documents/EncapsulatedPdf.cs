using System.Globalization;

namespace Pacs.Dicom.Documents;

/// <summary>
/// An Encapsulated PDF instance (PS3.3 A.45.1; SOP Class 1.2.840.10008.5.1.4.1.1.104.1): Patient, General Study,
/// Encapsulated Document Series, General Equipment, SC Equipment, Encapsulated Document and SOP Common modules, in
/// UTF-8 (ISO_IR 192) so that names in any script survive.
/// </summary>
public sealed record EncapsulatedPdf
{
    public const string SopClassUid = "1.2.840.10008.5.1.4.1.1.104.1";

    public required string StudyInstanceUid { get; init; }
    public required string SeriesInstanceUid { get; init; }
    public required string SopInstanceUid { get; init; }
    public required ReadOnlyMemory<byte> Pdf { get; init; }
    public required string DocumentTitle { get; init; }
    public required DateTimeOffset ContentDateTime { get; init; }
    public int InstanceNumber { get; init; } = 1;
    public int SeriesNumber { get; init; } = 9000;
    public string SeriesDescription { get; init; } = "Report";
    // Patient and General Study (values as the index holds them: DICOM formats).
    public string PatientName { get; init; } = "";
    public string PatientId { get; init; } = "";
    public string IssuerOfPatientId { get; init; } = "";
    public string PatientBirthDate { get; init; } = "";
    public string PatientSex { get; init; } = "";
    public string StudyDate { get; init; } = "";
    public string StudyTime { get; init; } = "";
    public string StudyId { get; init; } = "";
    public string AccessionNumber { get; init; } = "";
    public string ReferringPhysicianName { get; init; } = "";
    public string StudyDescription { get; init; } = "";

    /// <summary>The data set, ready for <see cref="DicomFile.Create"/> (Explicit VR Little Endian).</summary>
    public DicomDataset ToDataset()
    {
        var local = ContentDateTime.ToUniversalTime();
        var date = local.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var time = local.ToString("HHmmss", CultureInfo.InvariantCulture);
        var ds = new DicomDataset();
        // SOP Common (C.12.1); Specific Character Set first: the strings below are encoded with it.
        ds.SetString(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, SopClassUid);
        ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, SopInstanceUid);
        ds.SetString(DicomTag.InstanceCreationDate, DicomVR.DA, date);
        ds.SetString(DicomTag.InstanceCreationTime, DicomVR.TM, time);
        // General Study (C.7.2.1): type 2 attributes present even when empty.
        ds.SetString(DicomTag.StudyDate, DicomVR.DA, StudyDate);
        ds.SetString(DicomTag.StudyTime, DicomVR.TM, StudyTime);
        ds.SetString(DicomTag.AccessionNumber, DicomVR.SH, AccessionNumber);
        ds.SetString(DicomTag.ReferringPhysicianName, DicomVR.PN, ReferringPhysicianName);
        if (StudyDescription.Length > 0)
        {
            ds.SetString(DicomTag.StudyDescription, DicomVR.LO, StudyDescription);
        }

        // Encapsulated Document Series (C.24.1): Modality DOC.
        ds.SetString(DicomTag.Modality, DicomVR.CS, "DOC");
        ds.SetString(DicomTag.SeriesDescription, DicomVR.LO, SeriesDescription);
        // General Equipment (C.7.5.1) and SC Equipment (C.8.6.1): workstation, "WSD".
        ds.SetString(DicomTag.Manufacturer, DicomVR.LO, "Clinton PACS");
        ds.SetString(DicomTag.ConversionType, DicomVR.CS, "WSD");
        // Patient (C.7.1.1).
        ds.SetString(DicomTag.PatientName, DicomVR.PN, PatientName);
        ds.SetString(DicomTag.PatientID, DicomVR.LO, PatientId);
        if (IssuerOfPatientId.Length > 0)
        {
            ds.SetString(DicomTag.IssuerOfPatientID, DicomVR.LO, IssuerOfPatientId);
        }

        ds.SetString(DicomTag.PatientBirthDate, DicomVR.DA, PatientBirthDate);
        ds.SetString(DicomTag.PatientSex, DicomVR.CS, PatientSex);
        ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, StudyInstanceUid);
        ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, SeriesInstanceUid);
        ds.SetString(DicomTag.StudyID, DicomVR.SH, StudyId);
        ds.SetString(DicomTag.SeriesNumber, DicomVR.IS, SeriesNumber.ToString(CultureInfo.InvariantCulture));
        // Encapsulated Document (C.24.2).
        ds.SetString(DicomTag.InstanceNumber, DicomVR.IS, InstanceNumber.ToString(CultureInfo.InvariantCulture));
        ds.SetString(DicomTag.ContentDate, DicomVR.DA, date);
        ds.SetString(DicomTag.ContentTime, DicomVR.TM, time);
        ds.SetString(DicomTag.AcquisitionDateTime, DicomVR.DT, date + time);
        ds.SetString(DicomTag.BurnedInAnnotation, DicomVR.CS, "YES");
        ds.SetString(DicomTag.DocumentTitle, DicomVR.ST, DocumentTitle);
        // Concept Name: LOINC 11528-7 "Radiology Report" (PS3.16 CID 7001 includes it).
        var code = new DicomDataset();
        code.SetString(DicomTag.CodeValue, DicomVR.SH, "11528-7");
        code.SetString(DicomTag.CodingSchemeDesignator, DicomVR.SH, "LN");
        code.SetString(DicomTag.CodeMeaning, DicomVR.LO, "Radiology Report");
        ds.Set(DicomTag.ConceptNameCodeSequence, new DicomSequence([code]));
        ds.SetString(DicomTag.MIMETypeOfEncapsulatedDocument, DicomVR.LO, "application/pdf");
        // The OB value is padded to even length with 0x00; Encapsulated Document Length gives the true size.
        ds.SetUInt32(DicomTag.EncapsulatedDocumentLength, DicomVR.UL, (uint)Pdf.Length);
        ds.Set(DicomTag.EncapsulatedDocument, DicomVR.OB, Pdf);
        return ds;
    }
}
