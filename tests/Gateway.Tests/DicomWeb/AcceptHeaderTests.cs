using Pacs.Gateway.DicomWeb;

namespace Pacs.Gateway.Tests.DicomWeb;

public sealed class AcceptHeaderTests
{
    private const string ExplicitLE = "1.2.840.10008.1.2.1";
    private const string ImplicitLE = "1.2.840.10008.1.2";
    private const string Jpeg = "1.2.840.10008.1.2.4.50";

    private static readonly Representation[] ImplicitOffers =
        [new("application/dicom", ImplicitLE), new("application/dicom", ExplicitLE)];

    [Theory]
    [InlineData("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1")]
    [InlineData("multipart/related; type=application/dicom; transfer-syntax=1.2.840.10008.1.2.1")]
    [InlineData("multipart/related;type=application/dicom;transfer-syntax=\"1.2.840.10008.1.2.1\"")]
    [InlineData("Multipart/Related; Type=\"Application/DICOM\"; Transfer-Syntax=1.2.840.10008.1.2.1")]
    public void Parse_QuotedOrUnquotedParameters_ReadAlike(string header)
    {
        var range = Assert.Single(AcceptHeader.Parse([header]));
        Assert.Equal("multipart/related", range.MediaType);
        Assert.Equal("application/dicom", range.Type);
        Assert.Equal(ExplicitLE, range.TransferSyntax);
        Assert.True(range.IsMultipart);
    }

    [Fact]
    public void Parse_ListsAndQValues_OrderedByQualityThenRequestOrder()
    {
        var ranges = AcceptHeader.Parse(["application/json;q=0.5, multipart/related; type=\"image/jpeg\", */*;q=0.1", "image/png;q=0.5, text/html;q=0"]);
        Assert.Equal(["multipart/related", "application/json", "image/png", "*/*"], ranges.Select(r => r.MediaType));
        Assert.Equal(0.5, ranges[1].Quality);
    }

    [Fact]
    public void Parse_CommaInsideQuotes_DoesNotSplit()
    {
        var range = Assert.Single(AcceptHeader.Parse(["multipart/related; type=\"application/dicom\"; transfer-syntax=\"1.2.840.10008.1.2.1,1.2.840.10008.1.2\""]));
        Assert.Equal("1.2.840.10008.1.2.1,1.2.840.10008.1.2", range.TransferSyntax);
    }

    [Fact]
    public void Parse_NoHeader_Empty() => Assert.Empty(AcceptHeader.Parse([null, "", "  "]));

    [Fact]
    public void Negotiate_NoAccept_StoredFormMultipart()
    {
        var n = AcceptHeader.Negotiate([], ImplicitOffers, "application/dicom", ExplicitLE, multipartByDefault: true);
        Assert.Equal(new Negotiated(ImplicitOffers[0], true), n);
    }

    [Fact]
    public void Negotiate_AnyMediaType_StoredForm()
    {
        var n = AcceptHeader.Negotiate(AcceptHeader.Parse(["*/*"]), ImplicitOffers, "application/dicom", ExplicitLE, true);
        Assert.Equal(ImplicitLE, n!.Value.Representation.TransferSyntaxUid);
    }

    [Fact]
    public void Negotiate_MultipartWithoutSyntax_DefaultExplicitLittleEndian()
    {
        // PS3.18 8.7.3.5.2: application/dicom defaults to Explicit VR Little Endian.
        var n = AcceptHeader.Negotiate(AcceptHeader.Parse(["multipart/related; type=\"application/dicom\""]), ImplicitOffers, "application/dicom", ExplicitLE, true);
        Assert.Equal(ExplicitLE, n!.Value.Representation.TransferSyntaxUid);
    }

    [Fact]
    public void Negotiate_StarSyntax_StoredFormWhateverTheType()
    {
        // What OHIF 3 sends for frames: the stored JPEG comes back as image/jpeg.
        Representation[] offers = [new("image/jpeg", Jpeg)];
        var n = AcceptHeader.Negotiate(AcceptHeader.Parse(["multipart/related; type=application/octet-stream; transfer-syntax=*"]), offers, "application/octet-stream", null, true);
        Assert.Equal(offers[0], n!.Value.Representation);
        Assert.True(n.Value.Multipart);
    }

    [Fact]
    public void Negotiate_UnproducibleSyntax_Null()
    {
        Representation[] offers = [new("application/dicom", Jpeg)];
        var n = AcceptHeader.Negotiate(AcceptHeader.Parse(["multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1"]), offers, "application/dicom", ExplicitLE, true);
        Assert.Null(n);
    }

    [Fact]
    public void Negotiate_FirstRangeUnproducible_FallsToNextRange()
    {
        Representation[] offers = [new("application/dicom", Jpeg)];
        var n = AcceptHeader.Negotiate(AcceptHeader.Parse(["multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1, multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50;q=0.9"]),
            offers, "application/dicom", ExplicitLE, true);
        Assert.Equal(Jpeg, n!.Value.Representation.TransferSyntaxUid);
    }

    [Fact]
    public void Negotiate_SinglePartRange_NotMultipart()
    {
        Representation[] offers = [new("application/octet-stream", null)];
        var n = AcceptHeader.Negotiate(AcceptHeader.Parse(["application/octet-stream"]), offers, "application/octet-stream", null, multipartByDefault: false);
        Assert.Equal(new Negotiated(offers[0], false), n);
    }

    [Fact]
    public void Negotiate_WrongType_Null()
    {
        Representation[] offers = [new("application/octet-stream", ExplicitLE)];
        Assert.Null(AcceptHeader.Negotiate(AcceptHeader.Parse(["multipart/related; type=\"image/jpeg\""]), offers, "application/octet-stream", null, true));
    }

    [Fact]
    public void Negotiate_ZeroQuality_Ignored()
    {
        Representation[] offers = [new("application/octet-stream", ExplicitLE)];
        Assert.Null(AcceptHeader.Negotiate(AcceptHeader.Parse(["*/*;q=0, image/png"]), offers, "application/octet-stream", null, true));
    }
}
