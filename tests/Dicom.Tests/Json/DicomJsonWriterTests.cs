using System.Text;
using System.Text.Json;
using Pacs.Dicom.Json;
using Xunit;
using static Pacs.Dicom.Tests.Json.JsonTestData;

namespace Pacs.Dicom.Tests.Json;

public class DicomJsonWriterTests
{
    /// <summary>JSON of <see cref="JsonTestData.EveryVR"/>, checked by hand against PS3.18 F.2.</summary>
    internal const string Golden = """
        {"00080005":{"vr":"CS","Value":["ISO_IR 192"]},"00080016":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.4"]},"00080020":{"vr":"DA","Value":["20240131"]},"0008002A":{"vr":"DT","Value":["20240131123000.5"]},"00080030":{"vr":"TM","Value":["123000"]},"00080050":{"vr":"SH","Value":["ACC1"]},"00080054":{"vr":"AE","Value":["ARCHIVE"]},"00080060":{"vr":"CS","Value":["MR"]},"00080090":{"vr":"PN","Value":[{"Alphabetic":"Doe^John"}]},"00081030":{"vr":"LO","Value":["Brain w/o contrast"]},"00081190":{"vr":"UR","Value":["http://example.test/a\\b"]},"00081199":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":["1.2.3"]},"00081155":{"vr":"UI","Value":["1.2.3.4"]}}]},"00091010":{"vr":"UN","InlineBinary":"AQIDBA=="},"00100010":{"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}]},"00101010":{"vr":"AS","Value":["045Y"]},"00102000":{"vr":"LO","Value":["A",null,"C"]},"00104000":{"vr":"LT","Value":["line1\r\nline2 \\ not a delimiter"]},"00186020":{"vr":"SL","Value":[-7,2147483647]},"00186028":{"vr":"FL","Value":[1.5,-0.25]},"00189087":{"vr":"FD","Value":[1000.5,1E-300]},"00189219":{"vr":"SS","Value":[-1,32767]},"00200013":{"vr":"IS","Value":[12]},"00200032":{"vr":"DS","Value":[-1.5,0.25,3,1e3,0.5]},"00209165":{"vr":"AT","Value":["00180050","00280010"]},"00280010":{"vr":"US","Value":[512,65535]},"00281201":{"vr":"UL","Value":[4294967295]},"00321060":{"vr":"ST","Value":["short text"]},"00400280":{"vr":"UT","Value":["unlimited text"]},"0040A160":{"vr":"UC","Value":["unlimited","characters"]},"00420011":{"vr":"OB","InlineBinary":"+/8AAQ=="},"0072007B":{"vr":"SV","Value":[-5,"9007199254740993"]},"0072007C":{"vr":"UV","Value":[7,"18446744073709551615"]},"7FE00002":{"vr":"OL","InlineBinary":"AQAAAA=="},"7FE00003":{"vr":"OV","InlineBinary":"AQAAAAAAAAA="},"7FE00008":{"vr":"OF","InlineBinary":"AACAPw=="},"7FE00009":{"vr":"OD","InlineBinary":"AAAAAAAAAEA="},"7FE00010":{"vr":"OW","InlineBinary":"AQACAA=="}}
        """;

    [Fact]
    public void Write_EveryVR_MatchesHandCheckedGolden()
    {
        Assert.Equal(Golden, ToJson(EveryVR()));
    }

    [Fact]
    public void Write_SameDatasetTwiceAndAClone_SameBytes()
    {
        var ds = EveryVR();
        var a = DicomJsonWriter.ToUtf8Bytes(ds);
        var b = DicomJsonWriter.ToUtf8Bytes(ds);
        var c = DicomJsonWriter.ToUtf8Bytes(ds.Clone());
        Assert.Equal(a, b);
        Assert.Equal(a, c);
    }

    [Fact]
    public void Write_ToCallersWriter_SameJsonAsConvenience()
    {
        var ds = EveryVR();
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            DicomJsonWriter.Write(w, ds, DicomJsonOptions.Default);
        }

        Assert.Equal(DicomJsonWriter.ToUtf8Bytes(ds), buffer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData("Doe^John", "[{\"Alphabetic\":\"Doe^John\"}]")]
    [InlineData("=Ideo^Graphic", "[{\"Ideographic\":\"Ideo^Graphic\"}]")]
    [InlineData("A^B==P^Q", "[{\"Alphabetic\":\"A^B\",\"Phonetic\":\"P^Q\"}]")]
    [InlineData("A\\\\==\\=I", "[{\"Alphabetic\":\"A\"},null,null,{\"Ideographic\":\"I\"}]")]
    public void Write_PersonName_GroupsAsObjectsEmptyGroupsOmitted(string value, string expectedValue)
    {
        var ds = new DicomDataset();
        ds.Str(0x00100010, DicomVR.PN, value);
        Assert.Equal("{\"00100010\":{\"vr\":\"PN\",\"Value\":" + expectedValue + "}}", ToJson(ds));
    }

    [Theory]
    [InlineData("^^^^")]
    [InlineData("^ ")]
    [InlineData("^^=^^=")]
    [InlineData("^^^^\\^")]
    public void Write_PersonNameOfDelimitersOnly_HasNoValue(string value)
    {
        var ds = new DicomDataset();
        ds.Str(0x00100010, DicomVR.PN, value);
        Assert.Equal("{\"00100010\":{\"vr\":\"PN\"}}", ToJson(ds));
    }

    [Fact]
    public void Write_PersonNameGroupsOfDelimitersOnly_AreEmptyGroups()
    {
        var ds = new DicomDataset();
        ds.Str(0x00100010, DicomVR.PN, "Doe^John\\^^^\\^^=Ideo^Graphic");
        Assert.Equal("{\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"Doe^John\"},null,{\"Ideographic\":\"Ideo^Graphic\"}]}}", ToJson(ds));
    }

    [Fact]
    public void Write_EmptyAndPaddingOnlyElements_HaveNoValue()
    {
        var ds = new DicomDataset();
        ds.Str(0x00080050, DicomVR.SH, "");
        ds.Str(0x00100020, DicomVR.LO, "    ");
        ds.Set(T(0x00081199), new DicomSequence());
        ds.Bytes(0x00280010, DicomVR.US);
        ds.Bytes(0x00420011, DicomVR.OB);
        Assert.Equal(
            "{\"00080050\":{\"vr\":\"SH\"},\"00081199\":{\"vr\":\"SQ\"},\"00100020\":{\"vr\":\"LO\"},\"00280010\":{\"vr\":\"US\"},\"00420011\":{\"vr\":\"OB\"}}",
            ToJson(ds));
    }

    [Fact]
    public void Write_MultiValuedWithEmptyValues_EmptyValuesAreNull()
    {
        var ds = new DicomDataset();
        ds.Str(0x00080060, DicomVR.CS, "\\MR\\ \\");
        ds.Str(0x00200032, DicomVR.DS, "1\\\\2");
        Assert.Equal("{\"00080060\":{\"vr\":\"CS\",\"Value\":[null,\"MR\",null,null]},\"00200032\":{\"vr\":\"DS\",\"Value\":[1,null,2]}}", ToJson(ds));
    }

    [Theory]
    [InlineData(DicomVRName.DS, "abc\\1.0\\NaN\\+1.5\\5.\\007", "[\"abc\",1.0,\"NaN\",1.5,5,7]")]
    [InlineData(DicomVRName.IS, "1.5\\-0\\+42\\x", "[\"1.5\",0,42,\"x\"]")]
    [InlineData(DicomVRName.IS, "99999999999999999", "[\"99999999999999999\"]")]
    [InlineData(DicomVRName.DS, "1e400", "[1e400]")]
    public void Write_NumericStrings_NumbersWhenValidStringsOtherwise(DicomVRName vr, string value, string expected)
    {
        var ds = new DicomDataset();
        var dvr = vr == DicomVRName.DS ? DicomVR.DS : DicomVR.IS;
        ds.Str(0x00200032, dvr, value);
        Assert.Equal("{\"00200032\":{\"vr\":\"" + dvr + "\",\"Value\":" + expected + "}}", ToJson(ds));
    }

    public enum DicomVRName { DS, IS }

    [Fact]
    public void Write_NonFiniteFloatingPoint_WrittenAsStrings()
    {
        var ds = new DicomDataset();
        ds.Floats(0x00186028, float.NaN, 2f);
        ds.Doubles(0x00189087, DicomVR.FD, double.PositiveInfinity, double.NegativeInfinity);
        Assert.Equal(
            "{\"00186028\":{\"vr\":\"FL\",\"Value\":[\"NaN\",2]},\"00189087\":{\"vr\":\"FD\",\"Value\":[\"Infinity\",\"-Infinity\"]}}",
            ToJson(ds));
    }

    [Fact]
    public void Write_SixtyFourBitIntegers_StringsBeyondTwoToThe53()
    {
        var ds = new DicomDataset();
        ds.Int64s(0x0072007B, DicomVR.SV, 9007199254740992, -9007199254740992, -9007199254740993, long.MinValue);
        Assert.Equal(
            "{\"0072007B\":{\"vr\":\"SV\",\"Value\":[9007199254740992,-9007199254740992,\"-9007199254740993\",\"-9223372036854775808\"]}}",
            ToJson(ds));
    }

    [Fact]
    public void Write_GroupLengthElements_Omitted()
    {
        var ds = new DicomDataset();
        ds.SetUInt32(T(0x00080000), DicomVR.UL, 10);
        ds.Str(0x00080060, DicomVR.CS, "MR");
        ds.SetUInt32(T(0x00100000), DicomVR.UL, 10);
        Assert.Equal("{\"00080060\":{\"vr\":\"CS\",\"Value\":[\"MR\"]}}", ToJson(ds));
    }

    [Fact]
    public void Write_UnknownVR_WrittenAsUNInlineBinary()
    {
        var ds = new DicomDataset();
        ds.Bytes(0x00091010, DicomVR.FromChars((byte)'Q', (byte)'Q'), 1, 2);
        Assert.Equal("{\"00091010\":{\"vr\":\"UN\",\"InlineBinary\":\"AQI=\"}}", ToJson(ds));
    }

    [Fact]
    public void Write_Latin1CharacterSet_DecodedToUnicode()
    {
        var ds = new DicomDataset();
        ds.Str(0x00080005, DicomVR.CS, "ISO_IR 100");
        ds.Bytes(0x00100010, DicomVR.PN, (byte)'R', 0xE9, (byte)'^', (byte)'A');
        Assert.Contains("\"Alphabetic\":\"Ré^A\"", ToJson(ds));
    }

    [Fact]
    public void Write_BinaryAtOrOverThreshold_BulkDataUriFromBuilder()
    {
        var ds = new DicomDataset();
        ds.Set(T(0x00420011), DicomVR.OB, new byte[1024]);
        ds.Set(T(0x00660041), DicomVR.OL, new byte[1020]);
        var options = new DicomJsonOptions { BulkDataUriBuilder = c => "https://pacs.test/bulk/" + c.FormatPath() };
        Assert.Equal(
            "{\"00420011\":{\"vr\":\"OB\",\"BulkDataURI\":\"https://pacs.test/bulk/00420011\"},\"00660041\":{\"vr\":\"OL\",\"InlineBinary\":\"" + Convert.ToBase64String(new byte[1020]) + "\"}}",
            ToJson(ds, options));
    }

    [Fact]
    public void Write_NoBuilder_LargeValuesInlineAndUnloadedValuesOmitted()
    {
        var ds = new DicomDataset();
        ds.Set(T(0x00420011), DicomVR.OB, new byte[4096]);
        ds.Set(new DicomElement(T(0x7FE00010), DicomVR.OB, new DicomFragments(default, [new DicomFragment(new byte[] { 1, 2 })])));
        ds.Set(new DicomElement(T(0x7FE00008), DicomVR.OF, new BulkDataReference(100, 4000)));
        var json = ToJson(ds);
        Assert.Contains("\"00420011\":{\"vr\":\"OB\",\"InlineBinary\":\"AAAA", json);
        Assert.Contains("\"7FE00008\":{\"vr\":\"OF\"}", json);
        Assert.EndsWith("\"7FE00010\":{\"vr\":\"OB\"}}", json);
    }

    [Fact]
    public void Write_FragmentsAndReferencesInSequence_BuilderGetsPathDatasetAndElement()
    {
        var inner = new DicomDataset();
        inner.Str(0x00080018, DicomVR.UI, "1.2.3");
        inner.Set(new DicomElement(T(0x7FE00010), DicomVR.OB, new DicomFragments(default, [new DicomFragment(new byte[] { 1, 2 })])));
        var other = new DicomDataset();
        other.Set(new DicomElement(T(0x00660041), DicomVR.OL, new BulkDataReference(10, 20)));
        var ds = new DicomDataset();
        ds.Set(T(0x00081199), new DicomSequence([other, inner]));
        var seen = new List<BulkDataContext>();
        var options = new DicomJsonOptions
        {
            BulkDataUriBuilder = c =>
            {
                seen.Add(c);
                return c.Element.Bulk is not null ? null : "bulk/" + c.FormatPath() + "/" + c.Dataset.GetString(DicomTag.SOPInstanceUID);
            },
        };
        Assert.Equal(
            "{\"00081199\":{\"vr\":\"SQ\",\"Value\":[{\"00660041\":{\"vr\":\"OL\"}},{\"00080018\":{\"vr\":\"UI\",\"Value\":[\"1.2.3\"]},\"7FE00010\":{\"vr\":\"OB\",\"BulkDataURI\":\"bulk/00081199/1/7FE00010/1.2.3\"}}]}}",
            ToJson(ds, options));
        Assert.Equal(2, seen.Count);
        Assert.Equal([new DicomPathStep(T(0x00081199), 0), new DicomPathStep(T(0x00660041), -1)], seen[0].Path);
        Assert.Same(inner, seen[1].Dataset);
        Assert.NotNull(seen[1].Element.Fragments);
    }

    [Fact]
    public void Write_BulkDataUriPayload_WrittenAsIs()
    {
        var ds = new DicomDataset();
        ds.Set(new DicomElement(T(0x7FE00010), DicomVR.OW, new BulkDataUri("https://x.test/1")));
        Assert.Equal("{\"7FE00010\":{\"vr\":\"OW\",\"BulkDataURI\":\"https://x.test/1\"}}", ToJson(ds));
    }

    [Fact]
    public void WriteArray_TwoDatasets_JsonArrayOfObjects()
    {
        var a = new DicomDataset();
        a.Str(0x00100020, DicomVR.LO, "A");
        var b = new DicomDataset();
        b.Str(0x00100020, DicomVR.LO, "B");
        var json = Encoding.UTF8.GetString(DicomJsonWriter.ToUtf8Bytes([a, b]));
        Assert.Equal("[{\"00100020\":{\"vr\":\"LO\",\"Value\":[\"A\"]}},{\"00100020\":{\"vr\":\"LO\",\"Value\":[\"B\"]}}]", json);
    }

    [Fact]
    public void Write_NestedSequences_ItemsInheritCharacterSet()
    {
        var leaf = new DicomDataset();
        leaf.Bytes(0x00100010, DicomVR.PN, 0xC3, 0xA9); // "é" in UTF-8
        var mid = new DicomDataset();
        mid.Set(T(0x00400275), new DicomSequence([leaf]));
        var ds = new DicomDataset();
        ds.Str(0x00080005, DicomVR.CS, "ISO_IR 192");
        ds.Set(T(0x00081199), new DicomSequence([mid]));
        Assert.Equal(
            "{\"00080005\":{\"vr\":\"CS\",\"Value\":[\"ISO_IR 192\"]},\"00081199\":{\"vr\":\"SQ\",\"Value\":[{\"00400275\":{\"vr\":\"SQ\",\"Value\":[{\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"é\"}]}}]}}]}}",
            ToJson(ds));
    }
}
