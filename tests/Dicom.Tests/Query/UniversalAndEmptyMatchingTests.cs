using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class UniversalAndEmptyMatchingTests
{
    [Fact]
    public void Universal_EmptyQidoValue_IsReturnKeyNotConstraint()
    {
        var q = Study(("StudyDescription", ""));
        Assert.Empty(q.Keys);
        Assert.Contains(q.ReturnKeys, r => r.Tag == new DicomTag(StudyDescription));
        Assert.True(InMemoryMatcher.Matches(q, Dataset((PatientID, "LO", "P1"))));
    }

    [Fact]
    public void Universal_ZeroLengthDimseKey_IsReturnedAndMatchesAll()
    {
        var id = Identifier("STUDY", (PatientName, "PN", ""), (StudyInstanceUID, "UI", ""));
        var q = Find(id);
        Assert.Empty(q.Keys);
        Assert.Equal([new DicomTag(PatientName), new DicomTag(StudyInstanceUID)], q.ReturnKeys.Select(r => r.Tag));
        Assert.True(InMemoryMatcher.Matches(q, new DicomDataset()));
    }

    [Theory]
    [InlineData("PatientName")]
    [InlineData("StudyDate")]
    [InlineData("StudyTime")]
    [InlineData("StudyInstanceUID")]
    [InlineData("SeriesNumber")]
    public void Universal_StarAlone_IsUniversalForEveryVR(string keyword)
    {
        var q = Qido(QueryLevel.Series, (keyword, "*"));
        Assert.Empty(q.Keys);
    }

    [Fact]
    public void EmptyValue_QuotesWithEmptyValueMatching_MatchesOnlyEmptyOrAbsent()
    {
        var q = Study(("ReferringPhysicianName", "\"\""), ("emptyvaluematching", "true"));
        Assert.IsType<EmptyValueMatching>(Assert.Single(q.Keys).Matching);
        Assert.True(InMemoryMatcher.Matches(q, Dataset((PatientID, "LO", "P1"))));
        Assert.True(InMemoryMatcher.Matches(q, Dataset((ReferringPhysicianName, "PN", ""))));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((ReferringPhysicianName, "PN", "WHO^DR"))));
    }

    [Fact]
    public void EmptyValue_QuotesWithoutEmptyValueMatchingInQido_IsLiteral()
    {
        var q = Study(("ReferringPhysicianName", "\"\""));
        Assert.IsType<SingleValueMatching>(Assert.Single(q.Keys).Matching);
    }

    [Fact]
    public void EmptyValue_QuotesInDimse_IsEmptyValueMatchingByDefault()
    {
        var q = Find(Identifier("STUDY", (AccessionNumber, "SH", "\"\"")));
        Assert.IsType<EmptyValueMatching>(Assert.Single(q.Keys).Matching);
    }
}
