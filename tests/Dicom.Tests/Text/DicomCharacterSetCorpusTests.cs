using System.Globalization;
using System.Text.Json;
using Pacs.Dicom.IO;
using Pacs.Dicom.Tests.Corpus;
using Pacs.Dicom.Text;

namespace Pacs.Dicom.Tests.Text;

/// <summary>
/// The pydicom charset corpus (examples of PS3.5 Annexes H-K and dcmtk's samples), read with our reader and
/// compared with the values pydicom 2.3 decodes (Corpus/charset_expected.json, made by make_charset_expected.py).
/// </summary>
public sealed class DicomCharacterSetCorpusTests
{
    private sealed record Expected(string File, JsonElement[][] Path, string Tag, string Vr, string[] Values);

    private static readonly Expected[] All = JsonSerializer.Deserialize<Expected[]>(
        File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Corpus", "charset_expected.json")),
        new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
        ?? [];

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in All.Select(e => e.File).Distinct().Order(StringComparer.Ordinal))
        {
            data.Add(f);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void GetStrings_CharsetCorpusFile_MatchesPydicom(string file)
    {
        var dataset = Read(file);
        var expectations = All.Where(e => e.File == file).ToArray();
        Assert.NotEmpty(expectations);
        foreach (var e in expectations)
        {
            var owner = Navigate(dataset, e.Path);
            var tag = new DicomTag(uint.Parse(e.Tag, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            var actual = owner.GetStrings(tag);
            if (e.Vr == "PN")
            {
                actual = [.. actual.Select(v => PersonName.Parse(v).ToString())];
            }

            Assert.True(e.Values.SequenceEqual(actual),
                $"{file} {e.Tag}: expected [{string.Join(" | ", e.Values)}], got [{string.Join(" | ", actual)}]");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EncodeDecode_CharsetCorpusValues_RoundTrip(string file)
    {
        var dataset = Read(file);
        foreach (var e in All.Where(e => e.File == file))
        {
            var owner = Navigate(dataset, e.Path);
            var vr = DicomVR.Parse(e.Vr);
            var text = string.Join('\\', e.Values);
            var charset = owner.CharacterSet;
            Assert.True(charset.TryEncode(text, vr, out var bytes), $"{file} {e.Tag}: '{text}' not representable in {charset}");
            Assert.Equal(text, charset.Decode(bytes, vr));
        }
    }

    [Fact]
    public void Decode_SequenceItemWithOwnCharacterSet_UsesItemCharacterSet()
    {
        // chrSQEncoding: data set in ISO_IR 192, the item declares ISO 2022 IR 13\ISO 2022 IR 87 (PS3.5 6.1.2.3 note).
        var dataset = Read("chrSQEncoding.dcm");
        var item = dataset.GetSequence(new DicomTag(0x00321064))!.Items[0];
        Assert.Equal("ISO_IR 192", dataset.CharacterSet.ToString());
        Assert.True(item.CharacterSet.UsesCodeExtensions);
        Assert.Equal("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", item.GetString(new DicomTag(0x00100010)));
    }

    [Fact]
    public void Decode_SequenceItemWithoutCharacterSet_InheritsFromDataset()
    {
        // chrSQEncoding1: the same value, the character set declared only in the enclosing data set.
        var dataset = Read("chrSQEncoding1.dcm");
        var item = dataset.GetSequence(new DicomTag(0x00321064))!.Items[0];
        Assert.Same(dataset.CharacterSet, item.CharacterSet);
        Assert.Equal("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", item.GetString(new DicomTag(0x00100010)));
    }

    [Theory]
    [InlineData("chrH31.dcm")]
    [InlineData("chrH32.dcm")]
    [InlineData("chrI2.dcm")]
    public void Encode_StandardExamples_ReproducesTheStandardsBytes(string file)
    {
        // PS3.5 Annex H (H.3.1, H.3.2) and Annex I (I.2) give both the text and its bytes; our encoder must
        // switch sets exactly where the examples do.
        var dataset = Read(file);
        dataset.TryGetElement(new DicomTag(0x00100010), out var element);
        var raw = element.Value.Span.TrimEnd((byte)' ').ToArray();
        var text = dataset.GetString(new DicomTag(0x00100010))!;
        Assert.Equal(raw, dataset.CharacterSet.Encode(text, DicomVR.PN));
    }

    private static DicomDataset Read(string file) =>
        DicomReader.ReadFile(File.ReadAllBytes(System.IO.Path.Combine(CorpusFiles.Directory("charset_files"), file))).Dataset;

    private static DicomDataset Navigate(DicomDataset dataset, JsonElement[][] path)
    {
        foreach (var step in path)
        {
            var tag = new DicomTag(uint.Parse(step[0].GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            dataset = dataset.GetSequence(tag)!.Items[step[1].GetInt32()];
        }
        return dataset;
    }
}
