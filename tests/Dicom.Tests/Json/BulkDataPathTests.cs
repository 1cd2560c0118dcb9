using Pacs.Dicom.Json;

namespace Pacs.Dicom.Tests.Json;

public sealed class BulkDataPathTests
{
    [Fact]
    public void Parse_NestedSequence_TagAndItemSteps()
    {
        var steps = BulkDataPath.Parse("00540016/0/00181072")!;

        Assert.Equal([new DicomPathStep(new DicomTag(0x00540016u), 0), new DicomPathStep(new DicomTag(0x00181072u), -1)], steps);
    }

    [Theory]
    [InlineData("00540016/0")]
    [InlineData("7FE0001")]
    [InlineData("00540016/-1/00181072")]
    [InlineData("0054001G")]
    public void Parse_Malformed_Null(string path) => Assert.Null(BulkDataPath.Parse(path));

    [Fact]
    public void Format_IsWhatParseReads()
    {
        var path = BulkDataPath.Format([new DicomPathStep(new DicomTag(0x00540016u), 3), new DicomPathStep(DicomTag.PixelData, -1)]);

        Assert.Equal("00540016/3/7FE00010", path);
        Assert.Equal(2, BulkDataPath.Parse(path)!.Count);
    }

    [Fact]
    public void InstancePrefix_EndsAtTheResourceSegment() =>
        Assert.Equal("{r}/studies/1/series/2/instances/3/bulkdata/", BulkDataPath.InstancePrefix("{r}", "1", "2", "3"));
}
