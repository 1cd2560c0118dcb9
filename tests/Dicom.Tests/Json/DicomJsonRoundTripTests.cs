using System.Text;
using Pacs.Dicom.Json;
using Xunit;
using static Pacs.Dicom.Tests.Json.JsonTestData;

namespace Pacs.Dicom.Tests.Json;

public class DicomJsonRoundTripTests
{
    private static string RoundTrip(string json) => ToJson(DicomJsonReader.Read(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void RoundTrip_EveryVRJson_Identical()
    {
        Assert.Equal(DicomJsonWriterTests.Golden, RoundTrip(DicomJsonWriterTests.Golden));
    }

    [Fact]
    public void RoundTrip_DatasetToJsonToDatasetToJson_Stable()
    {
        var first = ToJson(EveryVR());
        var second = ToJson(DicomJsonReader.Read(Encoding.UTF8.GetBytes(first)));
        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData("""{"00100010":{"vr":"PN","Value":[{"Alphabetic":"A"},null,{"Ideographic":"I","Phonetic":"P"}]}}""")]
    [InlineData("""{"00080060":{"vr":"CS","Value":[null,"MR",null]},"00200032":{"vr":"DS","Value":[1.50,null,-2E+5]}}""")]
    [InlineData("""{"00081199":{"vr":"SQ","Value":[{"00081199":{"vr":"SQ","Value":[{},{"7FE00010":{"vr":"OB","BulkDataURI":"b/1"}}]}},{}]}}""")]
    [InlineData("""{"00080005":{"vr":"CS","Value":["ISO_IR 192"]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"Wang^XiaoDong","Ideographic":"王^小東"}]}}""")]
    [InlineData("""{"00081199":{"vr":"SQ"},"00100010":{"vr":"PN"},"00420011":{"vr":"OB"},"0072007B":{"vr":"SV","Value":["-9223372036854775808",0]}}""")]
    [InlineData("""{"00186028":{"vr":"FL","Value":["NaN","Infinity",3.4028235E+38]},"00189087":{"vr":"FD","Value":[5E-324,"-Infinity"]}}""")]
    public void RoundTrip_JsonToDatasetToJson_Identical(string json)
    {
        Assert.Equal(json, RoundTrip(json));
    }

    [Fact]
    public void RoundTrip_ArrayOfDatasets_Identical()
    {
        var json = "[" + DicomJsonWriterTests.Golden + "," + DicomJsonWriterTests.Golden + "]";
        var list = DicomJsonReader.ReadArray(Encoding.UTF8.GetBytes(json));
        Assert.Equal(json, Encoding.UTF8.GetString(DicomJsonWriter.ToUtf8Bytes(list)));
    }
}
