using System.Text;
using System.Text.Json;
using Pacs.Gateway.DicomWeb;
using Pacs.Grains;

namespace Pacs.Gateway.Tests.DicomWeb;

public sealed class MetadataRenderTests
{
    [Fact]
    public void Render_BaseMarker_ReplacedAndInstanceSlicesValid()
    {
        var one = "{\"00080018\":{\"vr\":\"UI\",\"Value\":[\"1.2\"]},\"7FE00010\":{\"vr\":\"OW\",\"BulkDataURI\":\"" + SeriesMetadata.BaseUriMarker + "/studies/1/series/2/instances/1.2/bulkdata/7FE00010\"}}";
        var two = "{\"00080018\":{\"vr\":\"UI\",\"Value\":[\"1.3\"]}}";
        var json = "[" + one + "," + two + "]";
        var metadata = new SeriesMetadata
        {
            Version = "v1",
            Json = Encoding.UTF8.GetBytes(json),
            SopInstanceUids = ["1.2", "1.3"],
            Offsets = [1, 2 + one.Length],
            Lengths = [one.Length, two.Length],
        };
        var rendered = SeriesMetadataCache.Render(metadata, "http://h:1/dicom-web");
        var text = Encoding.UTF8.GetString(rendered.Json);
        Assert.DoesNotContain(SeriesMetadata.BaseUriMarker, text, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(rendered.Json);
        Assert.Equal("http://h:1/dicom-web/studies/1/series/2/instances/1.2/bulkdata/7FE00010",
            doc.RootElement[0].GetProperty("7FE00010").GetProperty("BulkDataURI").GetString());
        for (var i = 0; i < 2; i++)
        {
            using var slice = JsonDocument.Parse(rendered.Json.AsMemory(rendered.Offsets[i], rendered.Lengths[i]));
            Assert.Equal(metadata.SopInstanceUids[i], slice.RootElement.GetProperty("00080018").GetProperty("Value")[0].GetString());
        }
        Assert.Equal(1, rendered.IndexOf("1.3"));
        Assert.Equal(-1, rendered.IndexOf("9.9"));
    }

    [Fact]
    public void Render_SameInput_ByteStableAndSameETag()
    {
        var metadata = new SeriesMetadata { Version = "v", Json = "[{}]"u8.ToArray(), SopInstanceUids = ["1"], Offsets = [1], Lengths = [2] };
        var a = SeriesMetadataCache.Render(metadata, "http://x/dicom-web");
        var b = SeriesMetadataCache.Render(metadata, "http://x/dicom-web");
        Assert.Equal(a.Json, b.Json);
        Assert.Equal(a.ETag, b.ETag);
        Assert.NotEqual(a.ETag, SeriesMetadataCache.Render(metadata, "http://y/dicom-web").ETag);
    }

    [Fact]
    public void ParseFrameList_Valid_And_Invalid()
    {
        Assert.Equal([1, 3, 2], FramesResource.ParseFrameList("1,3, 2"));
        Assert.Null(FramesResource.ParseFrameList("0"));
        Assert.Null(FramesResource.ParseFrameList("1,,2"));
        Assert.Null(FramesResource.ParseFrameList("a"));
    }
}
