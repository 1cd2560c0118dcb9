using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class DateTimeRangeMatchingTests
{
    [Fact]
    public void DateRange_Closed_HasBothBounds()
    {
        var q = Study(("StudyDate", "20200101-20200131"));
        Assert.Equal(new DateRangeMatching(new DateOnly(2020, 1, 1), new DateOnly(2020, 1, 31)), Assert.Single(q.Keys).Matching);
    }

    [Theory]
    [InlineData("20200101-20200131", "20200101", true)]
    [InlineData("20200101-20200131", "20200131", true)]
    [InlineData("20200101-20200131", "20200201", false)]
    [InlineData("20200101-20200131", "20191231", false)]
    [InlineData("-20200131", "19000101", true)]
    [InlineData("-20200131", "20200201", false)]
    [InlineData("20200101-", "20991231", true)]
    [InlineData("20200101-", "20191231", false)]
    [InlineData("20200115", "20200115", true)]
    [InlineData("20200115", "20200116", false)]
    public void DateRange_Candidate_MatchesInclusiveBounds(string range, string date, bool expected)
    {
        var q = Study(("StudyDate", range));
        Assert.Equal(expected, InMemoryMatcher.Matches(q, Dataset((StudyDate, "DA", date))));
    }

    [Fact]
    public void DateRange_OpenLower_HasNullLower()
    {
        var m = Assert.IsType<DateRangeMatching>(Assert.Single(Study(("StudyDate", "-20200131")).Keys).Matching);
        Assert.Null(m.Lower);
        Assert.Equal(new DateOnly(2020, 1, 31), m.Upper);
    }

    [Fact]
    public void Date_AcrNemaForm_IsAcceptedInKeyAndCandidate()
    {
        var q = Study(("StudyDate", "2020.01.01-2020.01.31"));
        Assert.Equal(new DateRangeMatching(new DateOnly(2020, 1, 1), new DateOnly(2020, 1, 31)), Assert.Single(q.Keys).Matching);
        Assert.True(InMemoryMatcher.Matches(q, Dataset((StudyDate, "DA", "2020.01.15"))));
    }

    [Theory]
    [InlineData("2020011")]
    [InlineData("20201301")]
    [InlineData("20200230")]
    [InlineData("20200201-20200101")]
    [InlineData("-")]
    [InlineData("2020-01-01")]
    public void Date_Invalid_IsRejected(string value)
    {
        var error = QidoError(QueryLevel.Study, ("StudyDate", value));
        Assert.Equal(new DicomTag(StudyDate), error.OffendingElement);
    }

    [Theory]
    [InlineData("10", "100000", "105959.999999")]
    [InlineData("1030", "103000", "103059.999999")]
    [InlineData("103015", "103015", "103015.999999")]
    [InlineData("103015.5", "103015.5", "103015.599999")]
    [InlineData("10:30", "103000", "103059.999999")]
    public void Time_PartialValue_IsTheRangeItDenotes(string value, string lower, string upper)
    {
        var m = Assert.IsType<TimeRangeMatching>(Assert.Single(Study(("StudyTime", value)).Keys).Matching);
        Assert.Equal(ParseTime(lower), m.Lower);
        Assert.Equal(ParseTime(upper), m.Upper);
    }

    [Theory]
    [InlineData("1000-1200", "113000", true)]
    [InlineData("1000-1200", "120059", true)]
    [InlineData("1000-1200", "130000", false)]
    [InlineData("-0800", "075959", true)]
    [InlineData("-0800", "090000", false)]
    [InlineData("1800-", "235959.999999", true)]
    [InlineData("1800-", "175959", false)]
    public void TimeRange_Candidate_MatchesInclusiveBounds(string range, string time, bool expected)
    {
        var q = Study(("StudyTime", range));
        Assert.Equal(expected, InMemoryMatcher.Matches(q, Dataset((StudyTime, "TM", time))));
    }

    [Theory]
    [InlineData("25")]
    [InlineData("1060")]
    [InlineData("10.5")]
    [InlineData("103015.1234567")]
    public void Time_Invalid_IsRejected(string value)
    {
        QidoError(QueryLevel.Study, ("StudyTime", value));
    }

    [Theory]
    [InlineData("2020", "20200615120000", true)]
    [InlineData("2020", "20210101000000", false)]
    [InlineData("20200101-20200102", "20200102235959", true)]
    [InlineData("20200101-20200102", "20200103000000", false)]
    [InlineData("20200101120000+0100-", "20200101113000+0000", true)]
    [InlineData("20200101120000+0100-", "20200101105959+0000", false)]
    [InlineData("-20200101120000-0500", "20200101165959+0000", true)]
    [InlineData("-20200101120000-0500", "20200101170001+0000", false)]
    public void DateTimeRange_WithOffsets_ComparesInstants(string range, string value, bool expected)
    {
        var q = Qido(QueryLevel.Image, ("AcquisitionDateTime", range));
        Assert.IsType<DateTimeRangeMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal(expected, InMemoryMatcher.Matches(q, Dataset((AcquisitionDateTime, "DT", value))));
    }

    [Fact]
    public void DateTime_NegativeOffsetAlone_IsSingleValueNotRange()
    {
        var q = Qido(QueryLevel.Image, ("AcquisitionDateTime", "20200101120000-0500"));
        var m = Assert.IsType<DateTimeRangeMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal(new DateTimeOffset(2020, 1, 1, 12, 0, 0, TimeSpan.FromHours(-5)), m.Lower);
        Assert.Equal(TimeSpan.FromHours(-5), m.Upper!.Value.Offset);
    }

    [Fact]
    public void DateTime_WithoutOffset_UsesQueryTimezone()
    {
        var q = Qido(QueryLevel.Image, ("AcquisitionDateTime", "20200101120000"), ("TimezoneOffsetFromUTC", "+0200"));
        var m = Assert.IsType<DateTimeRangeMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal(TimeSpan.FromHours(2), m.Lower!.Value.Offset);
        Assert.Equal(TimeSpan.FromHours(2), q.TimezoneOffset);
    }

    [Fact]
    public void DateTime_CandidateWithoutOffset_UsesCandidateTimezone()
    {
        var q = Qido(QueryLevel.Image, ("AcquisitionDateTime", "20200101100000+0000-20200101100059+0000"));
        var candidate = Dataset((AcquisitionDateTime, "DT", "20200101120030"), (TimezoneOffsetFromUTC, "SH", "+0200"));
        Assert.True(InMemoryMatcher.Matches(q, candidate));
    }

    private static TimeOnly ParseTime(string s) =>
        TimeOnly.ParseExact(s.Contains('.') ? s.PadRight(13, '0') : s + ".000000", "HHmmss.ffffff", System.Globalization.CultureInfo.InvariantCulture);
}
