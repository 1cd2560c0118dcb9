using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class CombinedDateTimeMatchingTests
{
    // PS3.4 C.2.2.2.5.1's own example: 20060705-20060707 with 1000-1800.
    private static DicomQuery Example() => Study(("StudyDate", "20060705-20060707"), ("StudyTime", "1000-1800"));

    [Fact]
    public void Combined_DateAndTimeRanges_BecomeOneKey()
    {
        var key = Assert.Single(Example().Keys);
        Assert.Equal(new DicomTag(StudyDate), key.Tag);
        var m = Assert.IsType<CombinedDateTimeRangeMatching>(key.Matching);
        Assert.Equal(new DicomTag(StudyTime), m.TimeTag);
        Assert.Equal(new DateTime(2006, 7, 5, 10, 0, 0), m.Lower);
        Assert.Equal(new DateTime(2006, 7, 7, 18, 0, 59, 999).AddTicks(9990), m.Upper);
    }

    [Theory]
    [InlineData("20060706", "0800", true)]   // a day in the middle at any time: separate ranges would refuse it
    [InlineData("20060705", "0959", false)]
    [InlineData("20060705", "1000", true)]
    [InlineData("20060707", "1800", true)]
    [InlineData("20060707", "1801", false)]
    [InlineData("20060704", "1200", false)]
    public void Combined_Candidate_MatchesContinuousRange(string date, string time, bool expected)
    {
        Assert.Equal(expected, InMemoryMatcher.Matches(Example(), Dataset((StudyDate, "DA", date), (StudyTime, "TM", time))));
    }

    [Fact]
    public void Combined_CandidateWithoutTime_MatchesIfDayMeetsRange()
    {
        Assert.True(InMemoryMatcher.Matches(Example(), Dataset((StudyDate, "DA", "20060705"))));
    }

    [Fact]
    public void Combined_OpenEnds_KeepOpen()
    {
        var m = Assert.IsType<CombinedDateTimeRangeMatching>(Assert.Single(Study(("StudyDate", "20060705-"), ("StudyTime", "1000-")).Keys).Matching);
        Assert.Equal(new DateTime(2006, 7, 5, 10, 0, 0), m.Lower);
        Assert.Null(m.Upper);
    }

    [Fact]
    public void Combined_TimeSingleValue_StaysSeparate()
    {
        var q = Study(("StudyDate", "20060705-20060707"), ("StudyTime", "1000"));
        Assert.Equal(2, q.Keys.Count);
        Assert.IsType<DateRangeMatching>(q.Keys[0].Matching);
        Assert.IsType<TimeRangeMatching>(q.Keys[1].Matching);
    }

    [Fact]
    public void Combined_DimseWithoutNegotiation_StaysSeparate()
    {
        var q = Find(Identifier("STUDY", (StudyDate, "DA", "20060705-20060707"), (StudyTime, "TM", "1000-1800")));
        Assert.Equal(2, q.Keys.Count);
        Assert.False(InMemoryMatcher.Matches(q, Dataset((StudyDate, "DA", "20060706"), (StudyTime, "TM", "0800"))));
    }

    [Fact]
    public void Combined_DimseWithNegotiation_IsCombined()
    {
        var q = Find(Identifier("STUDY", (StudyDate, "DA", "20060705-20060707"), (StudyTime, "TM", "1000-1800")),
            new DimseQueryOptions { CombinedDateTimeMatching = true });
        Assert.IsType<CombinedDateTimeRangeMatching>(Assert.Single(q.Keys).Matching);
        Assert.True(InMemoryMatcher.Matches(q, Dataset((StudyDate, "DA", "20060706"), (StudyTime, "TM", "0800"))));
        Assert.Contains(q.ReturnKeys, r => r.Tag == new DicomTag(StudyTime));
    }
}
