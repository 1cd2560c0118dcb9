using Pacs.Dicom.Query;
using Xunit;

namespace Pacs.Dicom.Tests.Query;

/// <summary>Small constructed data sets and queries for the query tests.</summary>
internal static class QueryTestData
{
    public static DicomDataset Dataset(params (uint Tag, string VR, string Value)[] elements)
    {
        var ds = new DicomDataset();
        foreach (var (tag, vr, value) in elements)
        {
            ds.SetString(new DicomTag(tag), DicomVR.Parse(vr), value);
        }

        return ds;
    }

    public static DicomQuery Qido(QueryLevel level, params (string Name, string Value)[] parameters)
    {
        var result = DicomQuery.FromQido(level, parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)));
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Query!;
    }

    public static DicomQuery Study(params (string Name, string Value)[] parameters) => Qido(QueryLevel.Study, parameters);

    public static QueryError QidoError(QueryLevel level, params (string Name, string Value)[] parameters)
    {
        var result = DicomQuery.FromQido(level, parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)));
        Assert.False(result.IsSuccess);
        return result.Error!;
    }

    public static DicomDataset Identifier(string level, params (uint Tag, string VR, string Value)[] elements)
    {
        var ds = Dataset(elements);
        ds.SetString(new DicomTag(0x00080052), DicomVR.CS, level);
        return ds;
    }

    public static DicomQuery Find(DicomDataset identifier, bool relational = false, string sopClass = QueryRetrieveSopClass.StudyRootFind)
    {
        var result = DicomQuery.FromIdentifier(identifier, sopClass, relational);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Query!;
    }

    public static DicomQuery Find(DicomDataset identifier, DimseQueryOptions options, string sopClass = QueryRetrieveSopClass.StudyRootFind)
    {
        var result = DicomQuery.FromIdentifier(identifier, sopClass, options);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Query!;
    }

    public const uint PatientName = 0x00100010;
    public const uint PatientID = 0x00100020;
    public const uint PatientBirthDate = 0x00100030;
    public const uint StudyDate = 0x00080020;
    public const uint StudyTime = 0x00080030;
    public const uint AccessionNumber = 0x00080050;
    public const uint Modality = 0x00080060;
    public const uint ModalitiesInStudy = 0x00080061;
    public const uint ReferringPhysicianName = 0x00080090;
    public const uint StudyDescription = 0x00081030;
    public const uint StudyInstanceUID = 0x0020000D;
    public const uint SeriesInstanceUID = 0x0020000E;
    public const uint SOPInstanceUID = 0x00080018;
    public const uint AcquisitionDateTime = 0x0008002A;
    public const uint TimezoneOffsetFromUTC = 0x00080201;
    public const uint ReferencedStudySequence = 0x00081110;
    public const uint ReferencedSOPClassUID = 0x00081150;
    public const uint ReferencedSOPInstanceUID = 0x00081155;
    public const uint NumberOfStudyRelatedInstances = 0x00201208;
    public const uint SeriesNumber = 0x00200011;
    public const uint PatientComments = 0x00104000;
}
