using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class QidoParameterParsingTests
{
    [Fact]
    public void Qido_Keyword_ResolvesTagAndVR()
    {
        var key = Assert.Single(Study(("PatientID", "P1")).Keys);
        Assert.Equal(new DicomTag(PatientID), key.Tag);
        Assert.Equal(DicomVR.LO, key.VR);
        Assert.Equal(QueryLevel.Study, key.Level); // patient attributes are study attributes in QIDO's study root
    }

    [Fact]
    public void Qido_Tag_ResolvesLikeKeyword()
    {
        var byTag = Assert.Single(Study(("00100020", "P1")).Keys);
        var byKeyword = Assert.Single(Study(("PatientID", "P1")).Keys);
        Assert.Equal(byKeyword, byTag);
    }

    [Fact]
    public void Qido_UnknownKeyword_IsInvalidParameter()
    {
        var error = QidoError(QueryLevel.Study, ("PatientNme", "x"));
        Assert.Equal(QueryErrorKind.InvalidQueryParameter, error.Kind);
        Assert.Equal(400, error.HttpStatus);
        Assert.Contains("PatientNme", error.Message);
    }

    [Fact]
    public void Qido_SameAttributeTwice_IsRejected()
    {
        QidoError(QueryLevel.Study, ("PatientID", "a"), ("00100020", "b"));
    }

    [Fact]
    public void Qido_IncludeField_RepeatedAndCommaListsAreMerged()
    {
        var q = Study(("includefield", "StudyDescription,00081060"), ("includefield", "PatientAge"));
        Assert.Equal([new DicomTag(StudyDescription), new DicomTag(0x00081060), new DicomTag(0x00101010)], q.IncludeFields);
        Assert.Contains(q.ReturnKeys, r => r.Tag == new DicomTag(0x00101010) && r.VR == DicomVR.AS);
        Assert.False(q.IncludeAll);
    }

    [Fact]
    public void Qido_IncludeFieldAll_SetsIncludeAll()
    {
        Assert.True(Study(("includefield", "all")).IncludeAll);
    }

    [Fact]
    public void Qido_IncludeFieldUnknown_IsRejected()
    {
        QidoError(QueryLevel.Study, ("includefield", "NoSuchThing"));
    }

    [Fact]
    public void Qido_LimitAndOffset_AreParsed()
    {
        var q = Study(("limit", "25"), ("offset", "50"));
        Assert.Equal(25, q.Limit);
        Assert.Equal(50, q.Offset);
        var none = Study();
        Assert.Null(none.Limit);
        Assert.Equal(0, none.Offset);
    }

    [Theory]
    [InlineData("limit", "-1")]
    [InlineData("limit", "ten")]
    [InlineData("offset", "-5")]
    [InlineData("fuzzymatching", "yes")]
    public void Qido_BadControlValue_IsRejected(string name, string value)
    {
        var error = QidoError(QueryLevel.Study, (name, value));
        Assert.Contains(name, error.Message);
    }

    [Fact]
    public void Qido_BadDateRange_IsRejectedWithTag()
    {
        var error = QidoError(QueryLevel.Study, ("StudyDate", "20200230-2020"));
        Assert.Equal(new DicomTag(StudyDate), error.OffendingElement);
    }

    [Fact]
    public void Qido_StudyDefaults_AreReturnKeys()
    {
        var q = Study();
        foreach (var t in new uint[] { StudyDate, StudyTime, AccessionNumber, ModalitiesInStudy, PatientName, PatientID, StudyInstanceUID, NumberOfStudyRelatedInstances })
        {
            Assert.Contains(q.ReturnKeys, r => r.Tag == new DicomTag(t));
        }
    }

    [Fact]
    public void Qido_SeriesWithoutStudyScope_AlsoReturnsStudyAttributes()
    {
        var unscoped = Qido(QueryLevel.Series);
        Assert.Contains(unscoped.ReturnKeys, r => r.Tag == new DicomTag(PatientName));
        var scoped = DicomQuery.FromQido(QueryLevel.Series, [], new QidoScope("1.2.3")).Query!;
        Assert.DoesNotContain(scoped.ReturnKeys, r => r.Tag == new DicomTag(PatientName));
        Assert.Contains(scoped.ReturnKeys, r => r.Tag == new DicomTag(Modality));
    }

    [Fact]
    public void Qido_Scope_AddsUniqueKeys()
    {
        var result = DicomQuery.FromQido(QueryLevel.Image, [new("SOPInstanceUID", "")], new QidoScope("1.2.3", "1.2.3.4"));
        Assert.True(result.IsSuccess);
        var q = result.Query;
        Assert.Equal(QueryLevel.Image, q.Level);
        Assert.True(q.Relational);
        Assert.Equal([new DicomTag(StudyInstanceUID), new DicomTag(SeriesInstanceUID)], q.Keys.Select(k => k.Tag));
        Assert.Equal(2, q.HigherLevelUniqueKeys.Count);
        Assert.True(InMemoryMatcher.Matches(q, Dataset((SOPInstanceUID, "UI", "9"), (StudyInstanceUID, "UI", "1.2.3"), (SeriesInstanceUID, "UI", "1.2.3.4"))));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((SOPInstanceUID, "UI", "9"), (StudyInstanceUID, "UI", "1.2.3"), (SeriesInstanceUID, "UI", "1.2.3.5"))));
    }

    [Fact]
    public void Qido_ModalitiesInStudyCommaList_MatchesAny()
    {
        var q = Study(("ModalitiesInStudy", "CT,MR"));
        var m = Assert.IsType<MultipleValueMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal([new SingleValueMatching("CT"), new SingleValueMatching("MR")], m.Alternatives);
        Assert.True(InMemoryMatcher.Matches(q, Dataset((ModalitiesInStudy, "CS", @"MR\SR"))));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((ModalitiesInStudy, "CS", @"US\SR"))));
    }

    [Fact]
    public void Qido_CommaInTextWithoutMultipleValueMatching_IsLiteral()
    {
        var q = Study(("StudyDescription", "Head, Neck"));
        Assert.Equal(new SingleValueMatching("Head, Neck"), Assert.Single(q.Keys).Matching);
        var multi = Study(("StudyDescription", "Head,Neck"), ("multiplevaluematching", "true"));
        Assert.IsType<MultipleValueMatching>(Assert.Single(multi.Keys).Matching);
    }

    [Fact]
    public void Qido_DerivedCounts_AreReturnKeysOnly()
    {
        var q = Study(("NumberOfStudyRelatedInstances", "5"));
        Assert.Empty(q.Keys);
        Assert.Contains(q.ReturnKeys, r => r.Tag == new DicomTag(NumberOfStudyRelatedInstances));
    }

    [Fact]
    public void Qido_EmptyParameterName_IsIgnored()
    {
        var result = DicomQuery.FromQido(QueryLevel.Study, [new("", ""), new("limit", "10")]);
        Assert.True(result.IsSuccess);
        Assert.Equal(10, result.Query.Limit);
    }

    [Fact]
    public void Qido_ControlNames_AreCaseInsensitive()
    {
        var q = Study(("Limit", "3"), ("IncludeField", "StudyDescription"));
        Assert.Equal(3, q.Limit);
        Assert.Single(q.IncludeFields);
    }

    [Fact]
    public void Qido_LowerLevelKeyOnStudyQuery_IsKeptWithItsLevel()
    {
        // QIDO is relational: /studies?Modality=CT asks for studies having a CT series.
        var key = Assert.Single(Study(("Modality", "CT")).Keys);
        Assert.Equal(QueryLevel.Series, key.Level);
    }
}
