namespace Pacs.Dicom.Tests.Dictionary;

public sealed class DicomUidsValidationTests
{
    [Theory]
    [InlineData("1.2.840.10008.5.1.4.1.1.2")]
    [InlineData("2.25.119414804540670951453931746646025385115")]
    [InlineData("1")]
    [InlineData("1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.2")] // exactly 64
    public void IsValid_WellFormed_True(string uid)
    {
        Assert.True(DicomUids.IsValid(uid));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".1.2")]
    [InlineData("1.2.")]
    [InlineData("1..2")]
    [InlineData("1.2.a")]
    [InlineData("1.2.*")]
    [InlineData("1.2.3 ")] // padding is the reader's business, not part of the UID
    [InlineData("1.2.3\0")]
    [InlineData("1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25")] // 65
    [InlineData("1.2.٣")] // a non-ASCII digit
    public void IsValid_Malformed_False(string uid)
    {
        // PS3.5 9.1: digits and dots only, 64 characters at most, no empty component.
        Assert.False(DicomUids.IsValid(uid));
    }
}
