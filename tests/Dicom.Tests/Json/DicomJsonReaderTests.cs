using System.Buffers.Binary;
using System.Text;
using Pacs.Dicom.Json;
using Xunit;
using static Pacs.Dicom.Tests.Json.JsonTestData;

namespace Pacs.Dicom.Tests.Json;

public class DicomJsonReaderTests
{
    private static DicomDataset Read(string json) => DicomJsonReader.Read(Encoding.UTF8.GetBytes(json));

    private static string Text(DicomDataset ds, uint tag) => Encoding.UTF8.GetString(ds.TryGetElement(T(tag), out var e) ? e.Value.Span : default);

    [Fact]
    public void Read_EveryVR_ReproducesTheValueBytes()
    {
        var expected = EveryVR();
        var actual = Read(DicomJsonWriterTests.Golden);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var e in expected)
        {
            Assert.True(actual.TryGetElement(e.Tag, out var a), e.Tag.ToString());
            Assert.Equal(e.VR, a.VR);
            if (e.VR == DicomVR.SQ)
            {
                Assert.Single(a.Sequence!.Items);
                Assert.Equal("1.2.3.4", a.Sequence.Items[0].GetString(T(0x00081155)));
                Assert.Equal(6, a.Sequence.Items[0].GetElementLength(0x00081150)); // "1.2.3" + NUL pad
            }
            else if (e.Tag == T(0x00200013))
            {
                Assert.Equal("12", Text(actual, 0x00200013)); // "+12 " is 12 in JSON
            }
            else if (e.Tag == T(0x00200032))
            {
                Assert.Equal("-1.5\\0.25\\3\\1e3\\0.5 ", Text(actual, 0x00200032));
            }
            else
            {
                Assert.Equal(e.Value.ToArray(), a.Value.ToArray());
            }
        }
    }

    [Fact]
    public void Read_VrAfterValue_MembersInAnyOrder()
    {
        var ds = Read("""{"00100010":{"Value":[{"Phonetic":"P","Alphabetic":"A"}],"vr":"PN"},"00280010":{"Value":[7],"vr":"US"}}""");
        Assert.Equal("A==P", ds.GetString(DicomTag.PatientName));
        Assert.Equal((ushort)7, ds.GetUInt16(T(0x00280010)));
    }

    [Fact]
    public void Read_NullsInMultiValue_EmptyValues()
    {
        var ds = Read("""{"00080060":{"vr":"CS","Value":[null,"MR",null]},"00100020":{"vr":"LO","Value":[null]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"A"},null]}}""");
        Assert.Equal("\\MR\\", ds.GetString(T(0x00080060)));
        Assert.Equal(0, ds.GetElementLength(0x00100020));
        Assert.Equal("A\\", ds.GetString(DicomTag.PatientName));
    }

    [Fact]
    public void Read_NonAsciiWithoutCharacterSet_Utf8AndIsoIr192Declared()
    {
        var ds = Read("""{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Müller"}]}}""");
        Assert.Equal("ISO_IR 192", ds.GetString(DicomTag.SpecificCharacterSet));
        Assert.Equal("Müller", ds.GetString(DicomTag.PatientName));
        Assert.Equal(Encoding.UTF8.GetBytes("Müller "), ds.GetElementBytes(0x00100010)); // 7 bytes + pad
    }

    [Fact]
    public void Read_AsciiOnly_NoCharacterSetAdded()
    {
        var ds = Read("""{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe"}]}}""");
        Assert.False(ds.Contains(DicomTag.SpecificCharacterSet));
    }

    [Fact]
    public void Read_NonAsciiWithDeclaredLatin1_EncodedWithItIncludingInItems()
    {
        var ds = Read("""{"00080005":{"vr":"CS","Value":["ISO_IR 100"]},"00081199":{"vr":"SQ","Value":[{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Ré"}]}}]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"Ré"}]}}""");
        Assert.Equal(new byte[] { (byte)'R', 0xE9 }, ds.GetElementBytes(0x00100010));
        var item = ds.GetSequence(T(0x00081199))!.Items[0];
        Assert.Equal(new byte[] { (byte)'R', 0xE9 }, item.GetElementBytes(0x00100010));
        Assert.Equal("Ré", item.GetString(DicomTag.PatientName));
    }

    [Fact]
    public void Read_NumbersForIsAndDs_KeepTheirTextAndFitDsLength()
    {
        var ds = Read("""{"00200013":{"vr":"IS","Value":[1.0,-3,"7"]},"00200032":{"vr":"DS","Value":[0.30000000000000004,1E-300,"2.5"]}}""");
        Assert.Equal("1\\-3\\7", Text(ds, 0x00200013));
        Assert.Equal("0.3\\1E-300\\2.5", Text(ds, 0x00200032));
    }

    [Fact]
    public void Read_BinaryNumbers_LittleEndianIncludingStringsFor64BitAndNonFinite()
    {
        var ds = Read("""
            {"00186028":{"vr":"FL","Value":[1.5,"NaN"]},"00189087":{"vr":"FD","Value":["-Infinity"]},
             "0072007B":{"vr":"SV","Value":["-9007199254740993",5]},"0072007C":{"vr":"UV","Value":["18446744073709551615"]},
             "00209165":{"vr":"AT","Value":["7FE00010"]},"00189219":{"vr":"SS","Value":[-2]},"00186020":{"vr":"SL","Value":[-2147483648]},
             "00281201":{"vr":"UL","Value":[4294967295]}}
            """);
        var fl = ds.GetElementBytes(0x00186028);
        Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(fl));
        Assert.True(float.IsNaN(BinaryPrimitives.ReadSingleLittleEndian(fl.AsSpan(4))));
        Assert.Equal(double.NegativeInfinity, BinaryPrimitives.ReadDoubleLittleEndian(ds.GetElementBytes(0x00189087)));
        Assert.Equal(-9007199254740993, BinaryPrimitives.ReadInt64LittleEndian(ds.GetElementBytes(0x0072007B)));
        Assert.Equal(ulong.MaxValue, BinaryPrimitives.ReadUInt64LittleEndian(ds.GetElementBytes(0x0072007C)));
        Assert.Equal(new byte[] { 0xE0, 0x7F, 0x10, 0x00 }, ds.GetElementBytes(0x00209165));
        Assert.Equal(-2, ds.GetInt32(T(0x00189219)));
        Assert.Equal(int.MinValue, ds.GetInt32(T(0x00186020)));
        Assert.Equal(uint.MaxValue, ds.GetUInt32(T(0x00281201)));
    }

    [Fact]
    public void Read_InlineBinaryOddLength_KeptExactly()
    {
        var ds = Read("""{"00420011":{"vr":"OB","InlineBinary":"AQID"}}""");
        Assert.Equal(new byte[] { 1, 2, 3 }, ds.GetElementBytes(0x00420011));
    }

    [Fact]
    public void Read_BulkDataUri_KeptAsPayload()
    {
        var ds = Read("""{"7FE00010":{"vr":"OW","BulkDataURI":"https://x.test/bulk/1"}}""");
        Assert.True(ds.TryGetElement(DicomTag.PixelData, out var e));
        Assert.Equal(DicomVR.OW, e.VR);
        Assert.Equal("https://x.test/bulk/1", e.BulkUri?.Uri);
    }

    [Fact]
    public void Read_EmptyAttributes_EmptyElementsAndEmptySequence()
    {
        var ds = Read("""{"00081199":{"vr":"SQ"},"00100010":{"vr":"PN"},"00280010":{"vr":"US","Value":[]},"unknownish":null}""".Replace(",\"unknownish\":null", ""));
        Assert.Empty(ds.GetSequence(T(0x00081199))!.Items);
        Assert.Equal(0, ds.GetElementLength(0x00100010));
        Assert.Equal(0, ds.GetElementLength(0x00280010));
    }

    [Fact]
    public void Read_UnknownMembers_Ignored()
    {
        var ds = Read("""{"00100020":{"vr":"LO","Value":["X"],"comment":{"deep":[1,2,{"a":null}]}}}""");
        Assert.Equal("X", ds.GetString(DicomTag.PatientID));
    }

    [Fact]
    public void ReadArray_QidoResponse_AllDatasets()
    {
        var list = DicomJsonReader.ReadArray("""[{"00100020":{"vr":"LO","Value":["A"]}},{"00100020":{"vr":"LO","Value":["B"]}},{}]"""u8);
        Assert.Equal(["A", "B", null], list.Select(d => d.GetString(DicomTag.PatientID)));
    }

    [Fact]
    public async Task ReadAsync_Stream_SameAsSpan()
    {
        var bytes = Encoding.UTF8.GetBytes(DicomJsonWriterTests.Golden);
        var fromStream = await DicomJsonReader.ReadAsync(new MemoryStream(bytes));
        Assert.Equal(DicomJsonWriter.ToUtf8Bytes(DicomJsonReader.Read(bytes)), DicomJsonWriter.ToUtf8Bytes(fromStream));
    }

    [Fact]
    public async Task ReadAsync_StreamOverLimit_TypedException()
    {
        var big = new MemoryStream(Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat("{}", 100_000)) + "]"));
        var ex = await Assert.ThrowsAsync<DicomFormatException>(async () =>
            await DicomJsonReader.ReadArrayAsync(big, new DicomJsonReaderOptions { MaxInputBytes = 1000 }));
        Assert.Contains("larger than 1000", ex.Message);
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "", "Malformed JSON" },
        { "{", "Malformed JSON" },
        { "[]", "Expected a data set object" },
        { "{} {}", "Malformed JSON" },
        { """{"0010":{"vr":"PN"}}""", "eight hexadecimal digits" },
        { """{"0010001G":{"vr":"PN"}}""", "eight hexadecimal digits" },
        { """{"00100010":[]}""", "must be an object" },
        { """{"00100010":{}}""", "no \"vr\"" },
        { """{"00100010":{"vr":"XX"}}""", "Unknown VR" },
        { """{"00100010":{"vr":7}}""", "\"vr\" must be a string" },
        { """{"00100010":{"vr":"PN","vr":"PN"}}""", "Duplicate \"vr\"" },
        { """{"00100010":{"vr":"PN"},"00100010":{"vr":"PN"}}""", "Duplicate attribute" },
        { """{"00100010":{"vr":"PN","Value":"Doe"}}""", "must be an array" },
        { """{"00100010":{"vr":"PN","Value":[42]}}""", "Unexpected Number" },
        { """{"00100010":{"vr":"PN","Value":[{"Alphabetic":1}]}}""", "component group must be a string" },
        { """{"00100010":{"vr":"PN","Value":[[[]]]}}""", "Unexpected StartArray" },
        { """{"00100020":{"vr":"LO","Value":[true]}}""", "Unexpected True" },
        { """{"00280010":{"vr":"US","Value":[70000]}}""", "out of range" },
        { """{"00280010":{"vr":"US","Value":[-1]}}""", "out of range" },
        { """{"00280010":{"vr":"US","Value":[1.5]}}""", "not an integer" },
        { """{"00280010":{"vr":"US","Value":[null]}}""", "not an integer" },
        { """{"00186028":{"vr":"FL","Value":["abc"]}}""", "not a number" },
        { """{"00209165":{"vr":"AT","Value":["0010"]}}""", "eight hexadecimal digits" },
        { """{"00420011":{"vr":"OB","InlineBinary":"***"}}""", "not valid base64" },
        { """{"00420011":{"vr":"OB","InlineBinary":5}}""", "base64 string" },
        { """{"00420011":{"vr":"OB","Value":[1]}}""", "not allowed for OB" },
        { """{"00420011":{"vr":"OB","InlineBinary":"AA==","BulkDataURI":"x"}}""", "More than one" },
        { """{"7FE00010":{"vr":"OW","BulkDataURI":{}}}""", "BulkDataURI must be a string" },
        { """{"00081199":{"vr":"SQ","Value":[1]}}""", "Expected a data set object" },
        { """{"00081199":{"vr":"SQ","InlineBinary":"AA=="}}""", "InlineBinary on a sequence" },
        { """{"00080060":{"vr":"CS","Value":["é"]}}""", "Non-ASCII text in a CS value" },
        { """{"00100020":{"vr":"LO","Value":["\uD800"]}}""", "Malformed JSON" },
        { """{"00100020":{"vr":"LO","Value":["a"]},}""", "Malformed JSON" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Read_HostileOrWrongShape_TypedExceptionWithOffset(string json, string reason)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var ex = Assert.Throws<DicomFormatException>(() => DicomJsonReader.Read(bytes));
        Assert.Contains(reason, ex.Message);
        Assert.InRange(ex.Offset, 0, bytes.Length);
    }

    [Fact]
    public void Read_InvalidUtf8InString_TypedException()
    {
        byte[] bytes = [.. """{"00100020":{"vr":"LO","Value":["""u8, (byte)'"', 0xC3, 0x28, (byte)'"', .. "]}}"u8];
        var ex = Assert.Throws<DicomFormatException>(() => DicomJsonReader.Read(bytes));
        Assert.Contains("Malformed JSON", ex.Message);
    }

    [Fact]
    public void Read_TagInError_Reported()
    {
        var ex = Assert.Throws<DicomFormatException>(() => Read("""{"00280010":{"vr":"US","Value":["x"]}}"""));
        Assert.Equal(T(0x00280010), ex.Tag);
        Assert.Equal(32, ex.Offset); // the offending token
    }

    [Fact]
    public void Read_SequencesNestedPastLimit_TypedException()
    {
        var json = Nested(40);
        var ex = Assert.Throws<DicomFormatException>(() => Read(json));
        Assert.Contains("nested deeper than 32", ex.Message);
    }

    [Fact]
    public void Read_SequencesNestedWithinLimit_Read()
    {
        var ds = Read(Nested(30));
        var depth = 0;
        for (var d = ds; d.GetSequence(T(0x00081199)) is { } sq; d = sq.Items[0])
        {
            depth++;
        }

        Assert.Equal(30, depth);
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(1_000)]
    public void Read_DeeplyNestedArraysOrObjects_TypedExceptionNoStackOverflow(int depth)
    {
        var arrays = """{"00100020":{"vr":"LO","x":""" + new string('[', depth) + new string(']', depth) + "}}";
        Assert.Throws<DicomFormatException>(() => Read(arrays));
        var objects = new StringBuilder("{\"00081199\":{\"vr\":\"SQ\",\"zz\":");
        for (var i = 0; i < depth; i++)
        {
            objects.Append("{\"a\":");
        }

        objects.Append('1').Append('}', depth).Append("}}");
        Assert.Throws<DicomFormatException>(() => Read(objects.ToString()));
    }

    [Fact]
    public void Read_RandomMutationsOfValidJson_OnlyTypedExceptions()
    {
        var valid = Encoding.UTF8.GetBytes(DicomJsonWriterTests.Golden);
        var random = new Random(1234);
        var failures = 0;
        for (var i = 0; i < 3000; i++)
        {
            var bytes = (byte[])valid.Clone();
            const string alphabet = "{}[]\",:0aZ\\ \u00ff";
            var edits = random.Next(1, 4);
            for (var k = 0; k < edits; k++)
            {
                bytes[random.Next(bytes.Length)] = (byte)alphabet[random.Next(alphabet.Length)];
            }

            var cut = random.Next(2) == 0 ? bytes : bytes[..random.Next(bytes.Length)];
            try { DicomJsonReader.Read(cut); }
            catch (DicomFormatException) { failures++; }
        }
        Assert.InRange(failures, 1000, 3000); // most mutations are rejected, none with another exception type
    }

    private static string Nested(int levels)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < levels; i++)
        {
            sb.Append("{\"00081199\":{\"vr\":\"SQ\",\"Value\":[");
        }

        sb.Append("{}");
        for (var i = 0; i < levels; i++)
        {
            sb.Append("]}}");
        }

        return sb.ToString();
    }
}

internal static class DatasetTestExtensions
{
    public static byte[] GetElementBytes(this DicomDataset ds, uint tag) => ds.TryGetElement(new DicomTag(tag), out var e) ? e.Value.ToArray() : [];

    public static int GetElementLength(this DicomDataset ds, uint tag) => ds.TryGetElement(new DicomTag(tag), out var e) ? e.Value.Length : -1;
}
