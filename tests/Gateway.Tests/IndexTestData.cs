using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom;
using Pacs.Dicom.Json;
using Pacs.Dicom.Query;

namespace Pacs.Gateway.Tests;

/// <summary>
/// Known patients, studies, series and instances written to the index tables the way the index writer does (trimmed
/// columns, <see cref="PersonNameSearch.Normalize"/> search columns, per-level DICOM JSON, derived study columns), and
/// the same entities as flat candidates for <see cref="InMemoryMatcher"/>, the reference the SQL is compared with.
/// </summary>
public sealed class IndexTestData
{
    public sealed record Patient(DicomDataset Attributes);
    public sealed record Study(Patient Patient, DicomDataset Attributes);
    public sealed record Series(Study Study, DicomDataset Attributes);
    public sealed record Instance(Series Series, DicomDataset Attributes, string TransferSyntaxUid);

    public List<Patient> Patients { get; } = [];
    public List<Study> Studies { get; } = [];
    public List<Series> SeriesList { get; } = [];
    public List<Instance> Instances { get; } = [];

    public const string CT = "1.2.840.10008.5.1.4.1.1.2";
    public const string MR = "1.2.840.10008.5.1.4.1.1.4";
    public const string SR = "1.2.840.10008.5.1.4.1.1.88.22";
    public const string US = "1.2.840.10008.5.1.4.1.1.6.1";

    public static DicomDataset Ds(params (DicomTag Tag, DicomVR VR, string Value)[] elements)
    {
        var ds = new DicomDataset();
        // Unicode values: declared so that the data set encodes them in UTF-8 (as the JSON reader does).
        if (elements.Any(e => e.Value.Any(c => c > 0x7F)))
        {
            ds.SetString(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        }

        foreach (var (tag, vr, value) in elements)
        {
            ds.SetString(tag, vr, value);
        }

        return ds;
    }

    public static IndexTestData Create()
    {
        var d = new IndexTestData();
        var p1 = d.AddPatient("P1", "", "Doe^John", "19700101", "M");
        var p2 = d.AddPatient("P2", "", "Müller^Hans", "19851231", "M");
        var p3 = d.AddPatient("P3", "HOSP", "DOE^JANE^^^", "", "F");
        var p4 = d.AddPatient("P4", "", "Yamada^Tarou=山田^太郎", "1990.05.05", "M");
        // All three component groups (PS3.5 6.2: alphabetic, ideographic, phonetic); no studies.
        d.AddPatient("P5", "", "Tanaka^Ichirou=田中^一郎=たなか^いちろう", "", "O");

        var s1 = d.AddStudy(p1, "1.2.3.1", "20200115", "101500", "A100", "S1", "Brain MRI 100%", "Smith^John");
        var s2 = d.AddStudy(p1, "1.2.3.2", "20210301", "153000", "A101", "S2", "Chest_CT", "Jones^Ann");
        var s3 = d.AddStudy(p2, "1.2.3.3", "20201231", "", "", "S3", "Knee", "");
        var s4 = d.AddStudy(p3, "1.2.3.4", "", "0800", "B7", "", "brain mri", "Smith^Joan");
        var s5 = d.AddStudy(p4, "1.2.3.5", "20200601", "120000", "C1", "S5", "Abdomen", "");

        var se1 = d.AddSeries(s1, "1.2.3.1.1", "MR", 1, "T1", "");
        var se2 = d.AddSeries(s1, "1.2.3.1.2", "MR", 2, "T2", "");
        var se3 = d.AddSeries(s2, "1.2.3.2.1", "CT", 1, "Axial", "General Hospital");
        var se4 = d.AddSeries(s2, "1.2.3.2.2", "SR", 99, "Report", "General Hospital");
        var se5 = d.AddSeries(s3, "1.2.3.3.1", "MR", 1, "Sagittal", "Clinic_A");
        var se6 = d.AddSeries(s4, "1.2.3.4.1", "CT", 1, "", "");
        var se7 = d.AddSeries(s5, "1.2.3.5.1", "US", 3, "Liver", "");

        d.AddInstance(se1, "1.2.3.1.1.1", MR, 1);
        d.AddInstance(se1, "1.2.3.1.1.2", MR, 2);
        d.AddInstance(se2, "1.2.3.1.2.1", MR, 1);
        d.AddInstance(se3, "1.2.3.2.1.1", CT, 1);
        d.AddInstance(se3, "1.2.3.2.1.2", CT, 2);
        d.AddInstance(se3, "1.2.3.2.1.3", CT, 3);
        d.AddInstance(se4, "1.2.3.2.2.1", SR, 1);
        d.AddInstance(se5, "1.2.3.3.1.1", MR, 1);
        d.AddInstance(se6, "1.2.3.4.1.1", CT, 7);
        d.AddInstance(se7, "1.2.3.5.1.1", US, 1);
        return d;
    }

    private Patient AddPatient(string id, string issuer, string name, string birth, string sex)
    {
        var p = new Patient(Ds((DicomTag.PatientName, DicomVR.PN, name), (DicomTag.PatientID, DicomVR.LO, id),
            (DicomTag.IssuerOfPatientID, DicomVR.LO, issuer), (DicomTag.PatientBirthDate, DicomVR.DA, birth), (DicomTag.PatientSex, DicomVR.CS, sex)));
        Patients.Add(p);
        return p;
    }

    private Study AddStudy(Patient patient, string uid, string date, string time, string accession, string id, string description, string referring)
    {
        var s = new Study(patient, Ds((DicomTag.StudyDate, DicomVR.DA, date), (DicomTag.StudyTime, DicomVR.TM, time),
            (DicomTag.AccessionNumber, DicomVR.SH, accession), (DicomTag.ReferringPhysicianName, DicomVR.PN, referring),
            (DicomTag.StudyDescription, DicomVR.LO, description), (DicomTag.StudyInstanceUID, DicomVR.UI, uid), (DicomTag.StudyID, DicomVR.SH, id)));
        Studies.Add(s);
        return s;
    }

    private Series AddSeries(Study study, string uid, string modality, int number, string description, string institution)
    {
        var se = new Series(study, Ds((DicomTag.Modality, DicomVR.CS, modality), (DicomTag.InstitutionName, DicomVR.LO, institution),
            (DicomTag.SeriesDescription, DicomVR.LO, description), (DicomTag.SeriesInstanceUID, DicomVR.UI, uid),
            (DicomTag.SeriesNumber, DicomVR.IS, number.ToString(CultureInfo.InvariantCulture))));
        SeriesList.Add(se);
        return se;
    }

    private void AddInstance(Series series, string uid, string sopClass, int number)
    {
        var i = new Instance(series, Ds((DicomTag.SOPClassUID, DicomVR.UI, sopClass), (DicomTag.SOPInstanceUID, DicomVR.UI, uid),
            (DicomTag.InstanceNumber, DicomVR.IS, number.ToString(CultureInfo.InvariantCulture))), "1.2.840.10008.1.2.1");
        Instances.Add(i);
    }

    private static DicomDataset Merge(params DicomDataset[] parts)
    {
        var merged = new DicomDataset();
        if (parts.Any(p => p.Contains(DicomTag.SpecificCharacterSet)))
        {
            merged.SetString(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        }

        foreach (var p in parts)
        {
            foreach (var e in p)
            {
                if (e.Tag != DicomTag.SpecificCharacterSet)
                {
                    merged.Set(e);
                }
            }
        }

        return merged;
    }

    private static void SetCount(DicomDataset ds, DicomTag tag, int n) => ds.SetString(tag, DicomVR.IS, n.ToString(CultureInfo.InvariantCulture));

    private IEnumerable<Instance> InstancesOf(Study s) => Instances.Where(i => i.Series.Study == s);

    /// <summary>The flat candidate of each entity at <paramref name="level"/>, keyed by its unique key, with the derived attributes.</summary>
    public IEnumerable<(string Key, DicomDataset Candidate)> Candidates(QueryLevel level)
    {
        switch (level)
        {
            case QueryLevel.Patient:
                foreach (var p in Patients)
                {
                    var c = Merge(p.Attributes);
                    var studies = Studies.Where(s => s.Patient == p).ToList();
                    SetCount(c, DicomTag.NumberOfPatientRelatedStudies, studies.Count);
                    SetCount(c, DicomTag.NumberOfPatientRelatedSeries, SeriesList.Count(se => studies.Contains(se.Study)));
                    SetCount(c, DicomTag.NumberOfPatientRelatedInstances, studies.Sum(s => InstancesOf(s).Count()));
                    yield return (p.Attributes.GetString(DicomTag.PatientID)!, c);
                }
                break;
            case QueryLevel.Study:
                foreach (var s in Studies)
                {
                    var c = Merge(s.Patient.Attributes, s.Attributes);
                    var series = SeriesList.Where(se => se.Study == s).ToList();
                    c.SetStrings(DicomTag.ModalitiesInStudy, DicomVR.CS, series.Select(se => se.Attributes.GetString(DicomTag.Modality)!).Distinct().Order(StringComparer.Ordinal));
                    c.SetStrings(DicomTag.SOPClassesInStudy, DicomVR.UI, InstancesOf(s).Select(i => i.Attributes.GetString(DicomTag.SOPClassUID)!).Distinct().Order(StringComparer.Ordinal));
                    SetCount(c, DicomTag.NumberOfStudyRelatedSeries, series.Count);
                    SetCount(c, DicomTag.NumberOfStudyRelatedInstances, InstancesOf(s).Count());
                    yield return (s.Attributes.GetString(DicomTag.StudyInstanceUID)!, c);
                }
                break;
            case QueryLevel.Series:
                foreach (var se in SeriesList)
                {
                    var c = Merge(se.Study.Patient.Attributes, se.Study.Attributes, se.Attributes);
                    SetCount(c, DicomTag.NumberOfSeriesRelatedInstances, Instances.Count(i => i.Series == se));
                    yield return (se.Attributes.GetString(DicomTag.SeriesInstanceUID)!, c);
                }
                break;
            default:
                foreach (var i in Instances)
                {
                    yield return (i.Attributes.GetString(DicomTag.SOPInstanceUID)!, Merge(i.Series.Study.Patient.Attributes, i.Series.Study.Attributes, i.Series.Attributes, i.Attributes));
                }

                break;
        }
    }

    private static byte[] Json(DicomDataset ds) => DicomJsonWriter.ToUtf8Bytes(ds);

    private static DateOnly? Date(DicomDataset ds, DicomTag tag) =>
        DateOnly.TryParseExact(ds.GetString(tag) ?? "", "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    /// <summary>Inserts every row with plain SQL, as the index writer would.</summary>
    public async Task InsertAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var patientKeys = new Dictionary<Patient, long>();
        var studyKeys = new Dictionary<Study, long>();
        var seriesKeys = new Dictionary<Series, long>();
        foreach (var p in Patients)
        {
            var a = p.Attributes;
            await using var cmd = new NpgsqlCommand("""
                insert into pacs_patients (patient_id, issuer_of_patient_id, patient_name, patient_name_search, patient_birth_date, patient_sex, attributes)
                values (@id, @issuer, @name, @search, @birth, @sex, @json::jsonb) returning patient_key
                """, connection);
            cmd.Parameters.AddWithValue("id", a.GetString(DicomTag.PatientID) ?? "");
            cmd.Parameters.AddWithValue("issuer", a.GetString(DicomTag.IssuerOfPatientID) ?? "");
            cmd.Parameters.AddWithValue("name", a.GetString(DicomTag.PatientName) ?? "");
            cmd.Parameters.AddWithValue("search", PersonNameSearch.Normalize(a.GetString(DicomTag.PatientName)));
            cmd.Parameters.AddWithValue("birth", a.GetString(DicomTag.PatientBirthDate) ?? "");
            cmd.Parameters.AddWithValue("sex", a.GetString(DicomTag.PatientSex) ?? "");
            cmd.Parameters.AddWithValue("json", System.Text.Encoding.UTF8.GetString(Json(a)));
            patientKeys[p] = (long)(await cmd.ExecuteScalarAsync())!;
        }
        var studyCandidates = Candidates(QueryLevel.Study).ToDictionary(c => c.Key, c => c.Candidate);
        foreach (var s in Studies)
        {
            var a = s.Attributes;
            var derived = studyCandidates[a.GetString(DicomTag.StudyInstanceUID)!];
            await using var cmd = new NpgsqlCommand("""
                insert into pacs_studies (study_instance_uid, patient_key, study_date, study_time, accession_number, study_id, study_description,
                    referring_physician_name, referring_physician_search, modalities_in_study, sop_classes_in_study, number_of_series, number_of_instances, attributes)
                values (@uid, @patient, @date, @time, @acc, @sid, @desc, @ref, @refsearch, @mods, @sops, @nseries, @ninst, @json::jsonb) returning study_key
                """, connection);
            cmd.Parameters.AddWithValue("uid", a.GetString(DicomTag.StudyInstanceUID)!);
            cmd.Parameters.AddWithValue("patient", patientKeys[s.Patient]);
            cmd.Parameters.Add(new NpgsqlParameter("date", NpgsqlDbType.Date) { Value = Date(a, DicomTag.StudyDate) is { } d ? d : DBNull.Value });
            cmd.Parameters.AddWithValue("time", a.GetString(DicomTag.StudyTime) ?? "");
            cmd.Parameters.AddWithValue("acc", a.GetString(DicomTag.AccessionNumber) ?? "");
            cmd.Parameters.AddWithValue("sid", a.GetString(DicomTag.StudyID) ?? "");
            cmd.Parameters.AddWithValue("desc", a.GetString(DicomTag.StudyDescription) ?? "");
            cmd.Parameters.AddWithValue("ref", a.GetString(DicomTag.ReferringPhysicianName) ?? "");
            cmd.Parameters.AddWithValue("refsearch", PersonNameSearch.Normalize(a.GetString(DicomTag.ReferringPhysicianName)));
            cmd.Parameters.AddWithValue("mods", derived.GetStrings(DicomTag.ModalitiesInStudy));
            cmd.Parameters.AddWithValue("sops", derived.GetStrings(DicomTag.SOPClassesInStudy));
            cmd.Parameters.AddWithValue("nseries", int.Parse(derived.GetString(DicomTag.NumberOfStudyRelatedSeries)!, CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("ninst", int.Parse(derived.GetString(DicomTag.NumberOfStudyRelatedInstances)!, CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("json", System.Text.Encoding.UTF8.GetString(Json(a)));
            studyKeys[s] = (long)(await cmd.ExecuteScalarAsync())!;
        }
        foreach (var se in SeriesList)
        {
            var a = se.Attributes;
            await using var cmd = new NpgsqlCommand("""
                insert into pacs_series (series_instance_uid, study_key, modality, series_number, series_description, body_part_examined, number_of_instances, attributes)
                values (@uid, @study, @mod, @num, @desc, '', @n, @json::jsonb) returning series_key
                """, connection);
            cmd.Parameters.AddWithValue("uid", a.GetString(DicomTag.SeriesInstanceUID)!);
            cmd.Parameters.AddWithValue("study", studyKeys[se.Study]);
            cmd.Parameters.AddWithValue("mod", a.GetString(DicomTag.Modality) ?? "");
            cmd.Parameters.AddWithValue("num", a.GetInt32(DicomTag.SeriesNumber)!.Value);
            cmd.Parameters.AddWithValue("desc", a.GetString(DicomTag.SeriesDescription) ?? "");
            cmd.Parameters.AddWithValue("n", Instances.Count(i => i.Series == se));
            cmd.Parameters.AddWithValue("json", System.Text.Encoding.UTF8.GetString(Json(a)));
            seriesKeys[se] = (long)(await cmd.ExecuteScalarAsync())!;
        }
        var instanceCandidates = Candidates(QueryLevel.Image).ToDictionary(c => c.Key, c => c.Candidate);
        foreach (var i in Instances)
        {
            var a = i.Attributes;
            var uid = a.GetString(DicomTag.SOPInstanceUID)!;
            await using var cmd = new NpgsqlCommand("""
                insert into pacs_instances (sop_instance_uid, series_key, study_key, sop_class_uid, instance_number, transfer_syntax_uid, blob_key, blob_size, content_sha256, header)
                values (@uid, @series, @study, @sop, @num, @ts, @blob, 0, '\x00'::bytea, @json::jsonb)
                """, connection);
            cmd.Parameters.AddWithValue("uid", uid);
            cmd.Parameters.AddWithValue("series", seriesKeys[i.Series]);
            cmd.Parameters.AddWithValue("study", studyKeys[i.Series.Study]);
            cmd.Parameters.AddWithValue("sop", a.GetString(DicomTag.SOPClassUID)!);
            cmd.Parameters.AddWithValue("num", a.GetInt32(DicomTag.InstanceNumber)!.Value);
            cmd.Parameters.AddWithValue("ts", i.TransferSyntaxUid);
            cmd.Parameters.AddWithValue("blob", "blobs/" + uid);
            cmd.Parameters.AddWithValue("json", System.Text.Encoding.UTF8.GetString(Json(instanceCandidates[uid])));
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
