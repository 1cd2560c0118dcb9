namespace Pacs.Dicom.Query;

/// <summary>Query/Retrieve Level (0008,0052), PS3.4 C.6. Ordered from the top of the hierarchy down.</summary>
public enum QueryLevel
{
    Patient = 0,
    Study = 1,
    Series = 2,
    Image = 3,
}

/// <summary>The Query/Retrieve information model, identified by the SOP class (PS3.4 C.6.1-C.6.3).</summary>
public enum QueryModel
{
    PatientRoot,
    StudyRoot,

    /// <summary>Retired (PS3.4 C.6.3); recognised so that it can be refused with a clear status.</summary>
    PatientStudyOnly,
}

/// <summary>SOP class UIDs of the Query/Retrieve service class (PS3.4 C.6, PS3.6 Table A-1).</summary>
public static class QueryRetrieveSopClass
{
    public const string PatientRootFind = "1.2.840.10008.5.1.4.1.2.1.1";
    public const string PatientRootMove = "1.2.840.10008.5.1.4.1.2.1.2";
    public const string PatientRootGet = "1.2.840.10008.5.1.4.1.2.1.3";
    public const string StudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
    public const string StudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
    public const string StudyRootGet = "1.2.840.10008.5.1.4.1.2.2.3";
    public const string PatientStudyOnlyFind = "1.2.840.10008.5.1.4.1.2.3.1";
    public const string PatientStudyOnlyMove = "1.2.840.10008.5.1.4.1.2.3.2";
    public const string PatientStudyOnlyGet = "1.2.840.10008.5.1.4.1.2.3.3";

    /// <summary>The information model of a FIND, MOVE or GET SOP class; false for anything else.</summary>
    public static bool TryGetModel(string? sopClassUid, out QueryModel model)
    {
        switch (sopClassUid?.TrimEnd('\0', ' '))
        {
            case PatientRootFind or PatientRootMove or PatientRootGet:
                model = QueryModel.PatientRoot;
                return true;
            case StudyRootFind or StudyRootMove or StudyRootGet:
                model = QueryModel.StudyRoot;
                return true;
            case PatientStudyOnlyFind or PatientStudyOnlyMove or PatientStudyOnlyGet:
                model = QueryModel.PatientStudyOnly;
                return true;
            default:
                model = default;
                return false;
        }
    }
}

/// <summary>Text forms of <see cref="QueryLevel"/> as (0008,0052) spells them (PS3.4 C.6.1.1.1).</summary>
public static class QueryLevels
{
    public static string ToCode(this QueryLevel level) => level switch
    {
        QueryLevel.Patient => "PATIENT",
        QueryLevel.Study => "STUDY",
        QueryLevel.Series => "SERIES",
        _ => "IMAGE",
    };

    public static bool TryParse(string? code, out QueryLevel level)
    {
        switch (code?.Trim(' ', '\0'))
        {
            case "PATIENT": level = QueryLevel.Patient; return true;
            case "STUDY": level = QueryLevel.Study; return true;
            case "SERIES": level = QueryLevel.Series; return true;
            case "IMAGE": level = QueryLevel.Image; return true;
            default: level = default; return false;
        }
    }
}
