using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom;
using Pacs.Dicom.Query;

namespace Pacs.Index.Read;

/// <summary>The index columns of 0100_index.sql by attribute, with the table alias used by <see cref="IndexQuery"/>.</summary>
internal static class IndexColumns
{
    private static readonly Dictionary<uint, IndexColumn> Columns = new()
    {
        [DicomTag.PatientID.Value] = new(QueryLevel.Patient, "p.patient_id", ColumnKind.Text),
        [DicomTag.IssuerOfPatientID.Value] = new(QueryLevel.Patient, "p.issuer_of_patient_id", ColumnKind.Text),
        [DicomTag.PatientName.Value] = new(QueryLevel.Patient, "p.patient_name_search", ColumnKind.PersonName),
        [DicomTag.PatientBirthDate.Value] = new(QueryLevel.Patient, "p.patient_birth_date", ColumnKind.DateText),
        [DicomTag.PatientSex.Value] = new(QueryLevel.Patient, "p.patient_sex", ColumnKind.Text),

        [DicomTag.StudyInstanceUID.Value] = new(QueryLevel.Study, "s.study_instance_uid", ColumnKind.Text),
        [DicomTag.StudyDate.Value] = new(QueryLevel.Study, "s.study_date", ColumnKind.Date),
        [DicomTag.AccessionNumber.Value] = new(QueryLevel.Study, "s.accession_number", ColumnKind.Text),
        [DicomTag.StudyID.Value] = new(QueryLevel.Study, "s.study_id", ColumnKind.Text),
        [DicomTag.StudyDescription.Value] = new(QueryLevel.Study, "s.study_description", ColumnKind.Text),
        [DicomTag.ReferringPhysicianName.Value] = new(QueryLevel.Study, "s.referring_physician_search", ColumnKind.PersonName),
        [DicomTag.ModalitiesInStudy.Value] = new(QueryLevel.Study, "s.modalities_in_study", ColumnKind.TextArray),
        [DicomTag.SOPClassesInStudy.Value] = new(QueryLevel.Study, "s.sop_classes_in_study", ColumnKind.TextArray),

        [DicomTag.SeriesInstanceUID.Value] = new(QueryLevel.Series, "se.series_instance_uid", ColumnKind.Text),
        [DicomTag.Modality.Value] = new(QueryLevel.Series, "se.modality", ColumnKind.Text),
        [DicomTag.SeriesNumber.Value] = new(QueryLevel.Series, "se.series_number", ColumnKind.Integer),
        [DicomTag.SeriesDescription.Value] = new(QueryLevel.Series, "se.series_description", ColumnKind.Text),
        [DicomTag.SeriesDate.Value] = new(QueryLevel.Series, "se.series_date", ColumnKind.Date),
        [DicomTag.BodyPartExamined.Value] = new(QueryLevel.Series, "se.body_part_examined", ColumnKind.Text),

        [DicomTag.SOPInstanceUID.Value] = new(QueryLevel.Image, "i.sop_instance_uid", ColumnKind.Text),
        [DicomTag.SOPClassUID.Value] = new(QueryLevel.Image, "i.sop_class_uid", ColumnKind.Text),
        [DicomTag.InstanceNumber.Value] = new(QueryLevel.Image, "i.instance_number", ColumnKind.Integer),
        [DicomTag.NumberOfFrames.Value] = new(QueryLevel.Image, "i.number_of_frames", ColumnKind.Integer),
        [DicomTag.Rows.Value] = new(QueryLevel.Image, "i.rows", ColumnKind.Integer),
        [DicomTag.Columns.Value] = new(QueryLevel.Image, "i.columns", ColumnKind.Integer),
    };

    public static IndexColumn? Find(DicomTag tag) => Columns.TryGetValue(tag.Value, out var c) ? c : null;
}
