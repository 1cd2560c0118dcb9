using Pacs.Dicom.Text;

namespace Pacs.Dicom.Tests.Text;

public sealed class PersonNameTests
{
    [Fact]
    public void Parse_ThreeComponentGroups_SplitsOnEquals()
    {
        var name = PersonName.Parse("Yamada^Tarou=山田^太郎=やまだ^たろう");
        Assert.Equal("Yamada^Tarou", name.Alphabetic);
        Assert.Equal("山田^太郎", name.Ideographic);
        Assert.Equal("やまだ^たろう", name.Phonetic);
        Assert.Equal(new PersonNameComponents("山田", "太郎", "", "", ""), name.IdeographicComponents);
    }

    [Fact]
    public void Parse_FiveComponents_SplitsOnCaret()
    {
        var c = PersonName.Parse("Adams^John Robert Quincy^^Rev.^B.A. M.Div.").AlphabeticComponents;
        Assert.Equal("Adams", c.FamilyName);
        Assert.Equal("John Robert Quincy", c.GivenName);
        Assert.Equal("", c.MiddleName);
        Assert.Equal("Rev.", c.NamePrefix);
        Assert.Equal("B.A. M.Div.", c.NameSuffix);
    }

    [Theory]
    [InlineData("Wang^XiaoDong=王^小東=", "Wang^XiaoDong=王^小東")]
    [InlineData("Wang^XiaoDong=王^小東= ", "Wang^XiaoDong=王^小東")]
    [InlineData("=山田^太郎", "=山田^太郎")]
    [InlineData("==やまだ", "==やまだ")]
    [InlineData("Doe^John", "Doe^John")]
    [InlineData("", "")]
    public void ToString_TrailingEmptyGroups_Dropped(string value, string expected) =>
        Assert.Equal(expected, PersonName.Parse(value).ToString());

    [Fact]
    public void Parse_TooManyGroupsOrComponents_IgnoresExtrasWithoutThrowing()
    {
        var name = PersonName.Parse("a=b=c=d");
        Assert.Equal(("a", "b", "c"), (name.Alphabetic, name.Ideographic, name.Phonetic));
        Assert.Equal("5", PersonNameComponents.Parse("1^2^3^4^5^6^7").NameSuffix);
    }

    [Fact]
    public void Parse_NullOrEmpty_Empty()
    {
        Assert.True(PersonName.Parse(null).IsEmpty);
        Assert.True(PersonName.Parse("  ").IsEmpty);
        Assert.Equal(PersonName.Empty, PersonName.Parse(""));
    }

    [Theory]
    [InlineData("Doe^John^^^", "Doe^John")]
    [InlineData("^John", "^John")]
    [InlineData("Doe", "Doe")]
    public void ComponentsToString_TrailingEmptyComponents_Dropped(string group, string expected) =>
        Assert.Equal(expected, PersonNameComponents.Parse(group).ToString());
}
