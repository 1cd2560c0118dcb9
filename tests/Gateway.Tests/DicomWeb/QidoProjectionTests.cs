using Pacs.Dicom;
using Pacs.Dicom.Query;
using Pacs.Gateway.DicomWeb;
using Pacs.Index.Read;

namespace Pacs.Gateway.Tests.DicomWeb;

public sealed class QidoProjectionTests
{
    private static DicomQuery StudyQuery()
    {
        var parsed = DicomQuery.FromQido(QueryLevel.Study, [new("includefield", "ModalitiesInStudy")]);
        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        return parsed.Query!;
    }

    [Fact]
    public void Project_StudyWithoutModality_LeavesOutEmptyModalitiesInStudy()
    {
        // pydicom's GDCMJ2K_TextGBR.dcm: no Modality, so nothing to derive; OHIF 3.13 breaks on a Value-less 00080061.
        var candidate = new DicomDataset();
        candidate.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3");
        candidate.SetString(DicomTag.ModalitiesInStudy, DicomVR.CS, "");
        var result = QidoResource.Project(StudyQuery(), new IndexMatch(QueryLevel.Study, candidate, "1.2.3", null, null), "http://x/dicom-web");
        Assert.False(result.Contains(DicomTag.ModalitiesInStudy));
        Assert.Equal("1.2.3", result.GetString(DicomTag.StudyInstanceUID));
    }

    [Fact]
    public void Project_StudyWithModalities_KeepsThem()
    {
        var candidate = new DicomDataset();
        candidate.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.3");
        candidate.SetString(DicomTag.ModalitiesInStudy, DicomVR.CS, "CT\\MR");
        var result = QidoResource.Project(StudyQuery(), new IndexMatch(QueryLevel.Study, candidate, "1.2.3", null, null), "http://x/dicom-web");
        Assert.Equal("CT\\MR", result.GetString(DicomTag.ModalitiesInStudy));
    }
}
