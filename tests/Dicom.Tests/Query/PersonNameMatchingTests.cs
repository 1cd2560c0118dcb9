using Pacs.Dicom.Query;
using Xunit;
using static Pacs.Dicom.Tests.Query.QueryTestData;

namespace Pacs.Dicom.Tests.Query;

public sealed class PersonNameMatchingTests
{
    private static bool Matches(string query, string name) =>
        InMemoryMatcher.Matches(Study(("PatientName", query)), Utf8Patient(name));

    private static DicomDataset Utf8Patient(string name)
    {
        var ds = new DicomDataset();
        ds.SetString(new DicomTag(0x00080005), DicomVR.CS, "ISO_IR 192");
        ds.SetString(new DicomTag(PatientName), DicomVR.PN, name);
        return ds;
    }

    [Theory]
    [InlineData("smith^john", "SMITH^JOHN")]
    [InlineData("SMITH^JOHN", "Smith^John")]
    [InlineData("MULLER^JURGEN", "Müller^Jürgen")]
    [InlineData("müller", "MULLER^HANS")]
    [InlineData("Francois", "FRANÇOIS")]
    public void PersonName_CaseAndAccent_AreIgnored(string query, string name)
    {
        Assert.True(Matches(query, name));
    }

    [Fact]
    public void PersonName_DecomposedAccent_IsIgnored()
    {
        Assert.True(Matches("MULLER", "Mu\u0308ller^Hans"));
    }

    [Fact]
    public void PersonName_DifferentGivenName_DoesNotMatch()
    {
        Assert.False(Matches("SMITH^JOHN", "SMITH^JANE"));
    }

    [Fact]
    public void PersonName_FamilyOnly_MatchesAnyGivenName()
    {
        // Empty query components constrain nothing (component matching, archive choice).
        Assert.True(Matches("SMITH", "SMITH^JOHN^^DR"));
        Assert.False(Matches("SMITH", "SMYTHE^JOHN"));
    }

    [Fact]
    public void PersonName_TrailingEmptyComponents_AreInsignificant()
    {
        Assert.True(Matches("SMITH^JOHN^^^", "SMITH^JOHN"));
    }

    [Theory]
    [InlineData("SM*", "SMITH^JOHN", true)]
    [InlineData("sm*", "Smith^John", true)]
    [InlineData("*JOHN*", "DOE^JOHN", true)]
    [InlineData("*^J*", "DOE^JOHN", true)]
    [InlineData("D*^JA*", "DOE^JOHN", false)]
    [InlineData("MÜ*", "MULLER^HANS", true)]
    [InlineData("SM?TH", "SMYTH", true)]
    [InlineData("SM?TH", "SMIITH", false)]
    public void PersonName_Wildcard_PerComponentOrWholeName(string pattern, string name, bool expected)
    {
        Assert.Equal(expected, Matches(pattern, name));
    }

    [Fact]
    public void PersonName_IdeographicGroup_MatchesSecondGroup()
    {
        Assert.True(Matches("=山田^太郎", "Yamada^Tarou=山田^太郎=やまだ^たろう"));
        Assert.False(Matches("=山田^花子", "Yamada^Tarou=山田^太郎=やまだ^たろう"));
    }

    [Fact]
    public void PersonName_BackslashInDimse_IsMultipleValueMatching()
    {
        var q = Find(Identifier("STUDY", (PatientName, "PN", @"SMITH\DOE*")));
        var m = Assert.IsType<MultipleValueMatching>(Assert.Single(q.Keys).Matching);
        Assert.Equal(2, m.Alternatives.Count);
        Assert.True(InMemoryMatcher.Matches(q, Dataset((PatientName, "PN", "DOE^JANE"))));
        Assert.True(InMemoryMatcher.Matches(q, Dataset((PatientName, "PN", "SMITH^JOHN"))));
        Assert.False(InMemoryMatcher.Matches(q, Dataset((PatientName, "PN", "JONES^JOHN"))));
    }
}
