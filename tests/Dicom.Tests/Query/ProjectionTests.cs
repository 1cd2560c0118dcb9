using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class ProjectionTests
{
    private static readonly DicomDataset Study1 = Dataset(
        (0x00080005, "CS", "ISO_IR 100"),
        (StudyDate, "DA", "20200115"),
        (AccessionNumber, "SH", "A1"),
        (PatientName, "PN", "DOE^JOHN"),
        (PatientID, "LO", "P1"),
        (StudyInstanceUID, "UI", "1.2.3"),
        (PatientComments, "LT", "not asked for"));

    [Fact]
    public void Project_ReturnsOnlyReturnKeysWithValues()
    {
        var q = Find(Identifier("STUDY", (PatientName, "PN", "DOE*"), (StudyInstanceUID, "UI", "")));
        var r = InMemoryMatcher.Project(q, Study1);
        Assert.Equal([new DicomTag(PatientName), new DicomTag(StudyInstanceUID)], r.Select(e => e.Tag));
        Assert.Equal("DOE^JOHN", r.GetString(new DicomTag(PatientName)));
        Assert.Equal("1.2.3", r.GetString(new DicomTag(StudyInstanceUID)));
    }

    [Fact]
    public void Project_AbsentAttribute_IsZeroLength()
    {
        var q = Find(Identifier("STUDY", (StudyDescription, "LO", "")));
        var r = InMemoryMatcher.Project(q, Study1);
        Assert.True(r.TryGetElement(new DicomTag(StudyDescription), out var e));
        Assert.Equal(0, e.Length);
        Assert.Equal(DicomVR.LO, e.VR);
    }

    [Fact]
    public void Project_LeavesControlElementsToCaller()
    {
        var q = Find(Identifier("STUDY", (0x00080005, "CS", "ISO_IR 100"), (0x00080054, "AE", ""), (PatientID, "LO", "")));
        var r = InMemoryMatcher.Project(q, Study1);
        Assert.False(r.Contains(new DicomTag(0x00080005)));
        Assert.False(r.Contains(new DicomTag(0x00080052)));
        Assert.False(r.Contains(new DicomTag(0x00080054)));
        Assert.True(r.Contains(new DicomTag(PatientID)));
    }

    [Fact]
    public void Project_SequenceWithItemKeys_ProjectsEachItem()
    {
        var candidate = Study1.Clone();
        candidate.Set(new DicomTag(ReferencedStudySequence), new DicomSequence([
            Dataset((ReferencedSOPClassUID, "UI", "1.2"), (ReferencedSOPInstanceUID, "UI", "7")),
            Dataset((ReferencedSOPClassUID, "UI", "1.3"), (ReferencedSOPInstanceUID, "UI", "8"))]));
        var id = Identifier("STUDY");
        id.Set(new DicomTag(ReferencedStudySequence), new DicomSequence([Dataset((ReferencedSOPInstanceUID, "UI", ""))]));
        var r = InMemoryMatcher.Project(Find(id), candidate);
        var sq = r.GetSequence(new DicomTag(ReferencedStudySequence))!;
        Assert.Equal(2, sq.Items.Count);
        Assert.Equal(["7", "8"], sq.Items.Select(i => i.GetString(new DicomTag(ReferencedSOPInstanceUID))));
        Assert.All(sq.Items, i => Assert.False(i.Contains(new DicomTag(ReferencedSOPClassUID))));
    }

    [Fact]
    public void Project_IncludeAll_CopiesEverythingButControlElements()
    {
        var q = Study(("includefield", "all"));
        var r = InMemoryMatcher.Project(q, Study1);
        Assert.True(r.Contains(new DicomTag(PatientComments)));
        Assert.False(r.Contains(new DicomTag(0x00080005)));
        Assert.True(r.Contains(new DicomTag(ModalitiesInStudy))); // a default return key, zero length
    }

    [Fact]
    public void Project_QidoDefaults_IncludeMatchedAndIncludedFields()
    {
        var q = Study(("AccessionNumber", "A1"), ("includefield", "PatientComments"));
        Assert.True(InMemoryMatcher.Matches(q, Study1));
        var r = InMemoryMatcher.Project(q, Study1);
        Assert.Equal("not asked for", r.GetString(new DicomTag(PatientComments)));
        Assert.Equal("A1", r.GetString(new DicomTag(AccessionNumber)));
        Assert.Equal("20200115", r.GetString(new DicomTag(StudyDate)));
    }
}
