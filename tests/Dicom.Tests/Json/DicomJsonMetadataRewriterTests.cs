using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Pacs.Dicom.IO;
using Pacs.Dicom.Json;
using Pacs.Dicom.Tests.Corpus;

namespace Pacs.Dicom.Tests.Json;

/// <summary>
/// The metadata rewrite copies each stored header as it is, changing only what metadata needs (BulkDataURIs,
/// Pixel Data, no group lengths). These tests hold it to the straightforward way of doing the same thing: read the
/// header into a data set and write it with the DICOM JSON writer.
/// </summary>
public sealed class DicomJsonMetadataRewriterTests
{
    private const string Sop = "1.2.3.4.5";

    // As the series metadata build passes it: the gateway's base marker, then the instance's bulk data resource.
    private const string Prefix = "{{dicom-web}}/studies/1.2.3/series/1.2.3.4/instances/" + Sop + "/bulkdata/";

    // What the ingest funnel keeps in the index: the header without Pixel Data, values of 64 KiB or more not loaded.
    private static readonly DicomReadOptions IndexHeader = DicomReadOptions.HeaderOnly with { BulkDataThreshold = 64 * 1024, MaxBufferedValueLength = 1024 * 1024 };

    [Theory]
    [InlineData("CT_small.dcm")]
    [InlineData("MR_small.dcm")]
    [InlineData("JPEG2000.dcm")]
    [InlineData("image_dfl.dcm")]
    [InlineData("MR_small_implicit.dcm")]
    public async Task WriteInstance_CorpusHeader_SameBytesAsDataSetRoundTrip(string name)
    {
        var read = DicomReader.ReadFile(await File.ReadAllBytesAsync(CorpusFiles.PathOf(name)), IndexHeader);
        var header = DicomJsonWriter.ToUtf8Bytes(read.Dataset);
        var syntax = read.TransferSyntax.Uid;

        var expected = Reference(header, syntax);
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(Build(header, syntax)));
        // PostgreSQL gives jsonb back with whitespace between tokens: same result.
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(Build(Spaced(header), syntax)));
    }

    [Fact]
    public void WriteInstance_BulkDataPixelDataGroupLengthsEscapes_AsDataSetRoundTrip()
    {
        var big = Convert.ToBase64String(new byte[1024]);
        var small = Convert.ToBase64String(new byte[1023]);
        var header = """
            {"00080000":{"vr":"UL","Value":[10]},
             "00080005":{"vr":"CS","Value":["ISO_IR 192"]},
             "00080018":{"vr":"UI","Value":["SOP"]},
             "00100010":{"vr":"PN","Value":[{"Alphabetic":"Quote\"d^\u00dcn\u00efcode"}]},
             "00191010":{"vr":"OB"},
             "00191011":{"vr":"OB","InlineBinary":"SMALL"},
             "00191012":{"vr":"OW","InlineBinary":"BIG"},
             "00191013":{"vr":"LO"},
             "00204000":{"vr":"LT","Value":["Back\\slash, \"quoted\", tab\tand \u0001"]},
             "00280010":{"vr":"US","Value":[2]},
             "00280100":{"vr":"US","Value":[8]},
             "00400275":{"vr":"SQ","Value":[]},
             "00540016":{"vr":"SQ","Value":[{"00181072":{"vr":"TM","Value":["120000"]}},{"00291010":{"vr":"UN"},"00540017":{"vr":"SQ","Value":[{"00291011":{"vr":"OB"}}]}}]},
             "FFFAFFFA":{"vr":"SQ"}}
            """.Replace("SOP", Sop, StringComparison.Ordinal).Replace("SMALL", small, StringComparison.Ordinal).Replace("BIG", big, StringComparison.Ordinal);
        var json = Encoding.UTF8.GetBytes(header);
        var built = Build(json, DicomUids.ExplicitVRLittleEndian);

        using var expected = JsonDocument.Parse(Reference(json, DicomUids.ExplicitVRLittleEndian));
        using var actual = JsonDocument.Parse(built);
        Assert.True(JsonElement.DeepEquals(expected.RootElement, actual.RootElement), Encoding.UTF8.GetString(built) + "\n" + expected.RootElement.GetRawText());

        var root = actual.RootElement;
        var prefix = Prefix;
        Assert.False(root.TryGetProperty("00080000", out _));
        Assert.Equal(prefix + "00191010", root.GetProperty("00191010").GetProperty("BulkDataURI").GetString());
        Assert.Equal(small, root.GetProperty("00191011").GetProperty("InlineBinary").GetString());
        Assert.Equal(prefix + "00191012", root.GetProperty("00191012").GetProperty("BulkDataURI").GetString());
        Assert.False(root.GetProperty("00400275").TryGetProperty("Value", out _));
        var items = root.GetProperty("00540016").GetProperty("Value");
        Assert.Equal(prefix + "00540016/1/00291010", items[1].GetProperty("00291010").GetProperty("BulkDataURI").GetString());
        Assert.Equal(prefix + "00540016/1/00540017/0/00291011", items[1].GetProperty("00540017").GetProperty("Value")[0].GetProperty("00291011").GetProperty("BulkDataURI").GetString());
        Assert.Equal("OB", root.GetProperty("7FE00010").GetProperty("vr").GetString()); // Bits Allocated 8
        Assert.Equal(prefix + "7FE00010", root.GetProperty("7FE00010").GetProperty("BulkDataURI").GetString());
        Assert.Equal(["00080005", "00080018", "00100010", "00191010", "00191011", "00191012", "00191013", "00204000", "00280010", "00280100", "00400275", "00540016", "7FE00010", "FFFAFFFA"],
            root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("Quote\"d^\u00dcn\u00efcode", root.GetProperty("00100010").GetProperty("Value")[0].GetProperty("Alphabetic").GetString());
        Assert.Equal("Back\\slash, \"quoted\", tab\tand \u0001", root.GetProperty("00204000").GetProperty("Value")[0].GetString());
    }

    [Fact]
    public void WriteInstance_NoRows_NoPixelDataAdded()
    {
        var built = Build("""{"00080018": {"vr": "UI", "Value": ["1.2.3.4.5"]}, "0040A730": {"vr": "SQ"}}"""u8.ToArray(), DicomUids.ExplicitVRLittleEndian);
        Assert.Equal("""{"00080018":{"vr":"UI","Value":["1.2.3.4.5"]},"0040A730":{"vr":"SQ"}}""", Encoding.UTF8.GetString(built));
    }

    private static byte[] Build(byte[] header, string syntax)
    {
        var output = new ArrayBufferWriter<byte>();
        DicomJsonMetadataRewriter.WriteInstance(output, header, Prefix, syntax);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The header re-serialised with a space after every ',' and ':' between tokens, as jsonb prints it.</summary>
    private static byte[] Spaced(byte[] header)
    {
        using var document = JsonDocument.Parse(header);
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            document.WriteTo(writer);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>The same metadata through a data set: read the header, mark what needs a URI, write DICOM JSON.</summary>
    private static byte[] Reference(byte[] header, string syntaxUid)
    {
        var dataset = DicomJsonReader.Read(header);
        MarkOmittedValues(dataset);
        var syntax = DicomTransferSyntax.Resolve(syntaxUid);
        if (dataset.Contains(DicomTag.Rows) && !dataset.Contains(DicomTag.PixelData))
        {
            var vr = syntax.IsEncapsulated || (dataset.GetUInt16(DicomTag.BitsAllocated) ?? 16) <= 8 ? DicomVR.OB : DicomVR.OW;
            dataset.Set(new DicomElement(DicomTag.PixelData, vr, new BulkDataReference(0, 0)));
        }
        return DicomJsonWriter.ToUtf8Bytes(dataset, new DicomJsonOptions
        {
            BulkDataThreshold = DicomJsonMetadataRewriter.BulkDataThreshold,
            BulkDataUriBuilder = context => Prefix + context.FormatPath(),
        });
    }

    private static void MarkOmittedValues(DicomDataset dataset)
    {
        var marked = new List<DicomElement>();
        foreach (var e in dataset)
        {
            if (e.Sequence is { } sq)
            {
                foreach (var item in sq.Items)
                {
                    MarkOmittedValues(item);
                }

                continue;
            }
            var binary = e.VR == DicomVR.OB || e.VR == DicomVR.OW || e.VR == DicomVR.OD || e.VR == DicomVR.OF || e.VR == DicomVR.OL || e.VR == DicomVR.OV || e.VR == DicomVR.UN;
            if (binary && e.Payload is null && e.Value.IsEmpty)
            {
                marked.Add(new DicomElement(e.Tag, e.VR, new BulkDataReference(0, 0)));
            }
        }
        foreach (var m in marked)
        {
            dataset.Set(m);
        }
    }
}
