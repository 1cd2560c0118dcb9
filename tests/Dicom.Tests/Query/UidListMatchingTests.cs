using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class UidListMatchingTests
{
    [Fact]
    public void UidList_BackslashInDimse_IsListOfUid()
    {
        var q = Find(Identifier("STUDY", (StudyInstanceUID, "UI", @"1.2.3\1.2.4")));
        var m = Assert.IsType<ListOfUidMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal(["1.2.3", "1.2.4"], m.Uids);
    }

    [Fact]
    public void UidList_CommaInQido_IsListOfUid()
    {
        var q = Study(("StudyInstanceUID", "1.2.3,1.2.4"));
        var m = Assert.IsType<ListOfUidMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal(["1.2.3", "1.2.4"], m.Uids);
    }

    [Fact]
    public void UidList_BackslashInQido_IsListOfUid()
    {
        var q = Study(("StudyInstanceUID", @"1.2.3\1.2.4"));
        Assert.IsType<ListOfUidMatching>(Assert.Single(q.Keys).Matching);
    }

    [Theory]
    [InlineData("1.2.3", true)]
    [InlineData("1.2.4", true)]
    [InlineData("1.2.5", false)]
    public void UidList_Candidate_MatchesWhenInList(string uid, bool expected)
    {
        var q = Study(("StudyInstanceUID", "1.2.3,1.2.4"));
        Assert.Equal(expected, InMemoryMatcher.Matches(q, Dataset((StudyInstanceUID, "UI", uid))));
    }

    [Fact]
    public void UidList_OneUid_IsSingleValue()
    {
        var q = Study(("StudyInstanceUID", "1.2.840.1"));
        Assert.Equal(new SingleValueMatching("1.2.840.1"), Assert.Single(q.Keys).Matching);
        Assert.True(InMemoryMatcher.Matches(q, Dataset((StudyInstanceUID, "UI", "1.2.840.1"))));
    }

    [Fact]
    public void UidList_InvalidUid_IsRejected()
    {
        var error = QidoError(QueryLevel.Study, ("StudyInstanceUID", "1.2.x"));
        Assert.Contains("1.2.x", error.Message);
    }

    [Fact]
    public void UidList_SopClassesInStudy_MatchesAnyValueOfCandidate()
    {
        var q = Study(("SOPClassesInStudy", "1.2.840.10008.5.1.4.1.1.2"));
        Assert.True(InMemoryMatcher.Matches(q, Dataset((0x00080062, "UI", @"1.2.840.10008.5.1.4.1.1.4\1.2.840.10008.5.1.4.1.1.2"))));
    }
}
