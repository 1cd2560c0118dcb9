using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class WildcardMatchingTests
{
    [Theory]
    [InlineData("AB*", "ABC", true)]
    [InlineData("AB*", "AB", true)]
    [InlineData("AB*", "XABC", false)]
    [InlineData("*BC", "ABC", true)]
    [InlineData("A?C", "ABC", true)]
    [InlineData("A?C", "AC", false)]
    [InlineData("A*C*E", "ABCDE", true)]
    [InlineData("A*C*E", "ABCD", false)]
    [InlineData("ab*", "ABC", false)]
    public void Wildcard_OnShortString_MatchesCaseSensitively(string pattern, string value, bool expected)
    {
        var q = Study(("AccessionNumber", pattern));
        Assert.IsType<WildcardMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal(expected, InMemoryMatcher.Matches(q, Dataset((AccessionNumber, "SH", value))));
    }

    [Fact]
    public void Wildcard_OnCodeString_MatchesModalitiesAnyValue()
    {
        var q = Study(("ModalitiesInStudy", "M?"));
        Assert.True(InMemoryMatcher.Matches(q, Dataset((ModalitiesInStudy, "CS", @"CT\MR"))));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((ModalitiesInStudy, "CS", @"CT\PT"))));
    }

    [Fact]
    public void Wildcard_OnLongText_BackslashIsText()
    {
        var q = Qido(QueryLevel.Study, ("PatientComments", @"*a\b*"));
        var m = Assert.IsType<WildcardMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal(@"*a\b*", m.Pattern);
        Assert.True(InMemoryMatcher.Matches(q, Dataset((PatientComments, "LT", @"xa\by"))));
    }

    [Theory]
    [InlineData("StudyDate", "2020*")]
    [InlineData("StudyTime", "10?0")]
    [InlineData("StudyInstanceUID", "1.2.*")]
    public void Wildcard_OnVrWithoutWildcards_IsRejected(string keyword, string value)
    {
        var error = QidoError(QueryLevel.Study, (keyword, value));
        Assert.Equal(QueryErrorKind.InvalidQueryParameter, error.Kind);
        Assert.Equal(400, error.HttpStatus);
    }

    [Fact]
    public void Wildcard_OnNumber_IsLiteralValue()
    {
        var q = Qido(QueryLevel.Series, ("SeriesNumber", "1?"));
        Assert.Equal(new SingleValueMatching("1?"), Assert.Single(q.Keys).Matching);
    }

    [Fact]
    public void Wildcard_ToSqlLikePattern_TranslatesAndEscapes()
    {
        var m = new WildcardMatching(@"A*B?C%D_E\");
        Assert.Equal(@"A%B_C\%D\_E\\", m.ToSqlLikePattern());
    }

    [Fact]
    public void Wildcard_InDimseDateKey_ReturnsUnableToProcessWithElement()
    {
        var result = DicomQuery.FromIdentifier(Identifier("STUDY", (StudyDate, "DA", "2020*")), QueryRetrieveSopClass.StudyRootFind, false);
        Assert.False(result.IsSuccess);
        Assert.Equal((ushort)0xC000, result.Error.DimseStatus);
        Assert.Equal(new DicomTag(StudyDate), result.Error.OffendingElement);
    }
}
