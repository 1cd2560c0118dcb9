using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class FuzzyMatchingTests
{
    private static DicomQuery Fuzzy(string name) => Study(("PatientName", name), ("fuzzymatching", "true"));

    [Theory]
    [InlineData("JOHN^SMITH")]
    [InlineData("SMITH^JOHN")]
    [InlineData("Smith^Johnny")]
    public void Fuzzy_PrefixOfAnyComponent_Matches(string name)
    {
        Assert.True(InMemoryMatcher.Matches(Fuzzy("jo"), Dataset((PatientName, "PN", name))));
    }

    [Fact]
    public void Fuzzy_NoComponentStartsWithWord_DoesNotMatch()
    {
        Assert.False(InMemoryMatcher.Matches(Fuzzy("jo"), Dataset((PatientName, "PN", "SMITH^ANNA"))));
    }

    [Fact]
    public void Fuzzy_SeveralWords_EachMustPrefixSomeWord()
    {
        var q = Fuzzy("smi jo");
        Assert.True(InMemoryMatcher.Matches(q, Dataset((PatientName, "PN", "JOHN^SMITH"))));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((PatientName, "PN", "JOHN^DOE"))));
    }

    [Fact]
    public void Fuzzy_Flag_IsRecordedAndKeyIsFolded()
    {
        var q = Fuzzy("Mü");
        Assert.True(q.FuzzyMatching);
        var m = Assert.IsType<FuzzyPersonNameMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal(["MU"], m.Words);
    }

    [Fact]
    public void Fuzzy_Off_IsComponentMatching()
    {
        var q = Study(("PatientName", "jo"), ("fuzzymatching", "false"));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((PatientName, "PN", "JOHN^SMITH"))));
    }

    [Fact]
    public void Fuzzy_OnlyAffectsPersonNames()
    {
        var q = Study(("AccessionNumber", "A1"), ("fuzzymatching", "true"));
        Assert.IsType<SingleValueMatching>(Assert.Single(q.Keys).Matching);
    }
}
