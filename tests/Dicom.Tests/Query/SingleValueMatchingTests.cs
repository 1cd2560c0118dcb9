using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class SingleValueMatchingTests
{
    [Fact]
    public void SingleValue_ParsedFromQido_IsSingleValueMatching()
    {
        var q = Study(("AccessionNumber", "A123"));
        var key = Assert.Single(q.Keys);
        Assert.Equal(new DicomTag(AccessionNumber), key.Tag);
        Assert.Equal(DicomVR.SH, key.VR);
        Assert.Equal(new SingleValueMatching("A123"), key.Matching);
    }

    [Fact]
    public void SingleValue_ExactValue_Matches()
    {
        var q = Study(("AccessionNumber", "A123"));
        Assert.True(InMemoryMatcher.Matches(q, Dataset((AccessionNumber, "SH", "A123"))));
    }

    [Fact]
    public void SingleValue_DifferentCaseOnNonPn_DoesNotMatch()
    {
        var q = Study(("AccessionNumber", "a123"));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((AccessionNumber, "SH", "A123"))));
    }

    [Fact]
    public void SingleValue_AttributeAbsent_DoesNotMatch()
    {
        var q = Study(("AccessionNumber", "A123"));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((PatientID, "LO", "P1"))));
    }

    [Fact]
    public void SingleValue_PaddedCandidate_Matches()
    {
        // SH is padded to even length with a space; the comparison is on the trimmed value (PS3.5 6.2).
        var q = Study(("AccessionNumber", "ABC"));
        Assert.True(InMemoryMatcher.Matches(q, Dataset((AccessionNumber, "SH", "ABC"))));
    }

    [Fact]
    public void SingleValue_MultiValuedCandidate_MatchesAnyValue()
    {
        var q = Study(("ModalitiesInStudy", "MR"));
        Assert.True(InMemoryMatcher.Matches(q, Dataset((ModalitiesInStudy, "CS", @"CT\MR"))));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((ModalitiesInStudy, "CS", @"CT\PT"))));
    }

    [Fact]
    public void SingleValue_IsNumber_ComparesNumerically()
    {
        var q = Qido(QueryLevel.Series, ("SeriesNumber", "7"));
        Assert.True(InMemoryMatcher.Matches(q, Dataset((SeriesNumber, "IS", "007"))));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((SeriesNumber, "IS", "8"))));
    }

    [Fact]
    public void SingleValue_SeveralKeys_AllMustMatch()
    {
        var q = Study(("AccessionNumber", "A1"), ("PatientID", "P1"));
        Assert.True(InMemoryMatcher.Matches(q, Dataset((AccessionNumber, "SH", "A1"), (PatientID, "LO", "P1"))));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((AccessionNumber, "SH", "A1"), (PatientID, "LO", "P2"))));
    }
}
