using System.Globalization;
using System.Text.Json;
using Pacs.Dicom.IO;
using Pacs.Dicom.Json;
using Pacs.Dicom.Tests.Corpus;

namespace Pacs.Dicom.Tests.Json;

/// <summary>
/// Our DICOM JSON for the pydicom corpus against pydicom 2.3's own (Corpus/json_expected, made by
/// Corpus/make_json_expected.py), element by element. Where the two differ in a way the standard permits or requires,
/// the difference is classified below and justified; anything else fails.
/// </summary>
public sealed class DicomJsonCorpusTests
{
    /// <summary>The standard-conformant differences from pydicom (docs/conformance.md repeats this list).</summary>
    public enum Difference
    {
        /// <summary>
        /// pydicom writes group length elements (gggg,0000); we leave them out. PS3.5 7.2: group lengths are retired
        /// outside the File Meta group and describe a byte stream, not a JSON object.
        /// </summary>
        GroupLengthOmitted,

        /// <summary>
        /// pydicom writes an empty value inside a multi-valued attribute as "" (PN: {"Alphabetic":""}); we write
        /// null, as PS3.18 F.2.5 requires ("empty values ... shall be encoded as null").
        /// </summary>
        EmptyValueIsNull,

        /// <summary>
        /// pydicom writes a zero-item sequence as "Value": []; we write {"vr":"SQ"} with no Value. PS3.18 F.2.5:
        /// an attribute with no value has none of "Value", "BulkDataURI", "InlineBinary". Both read back as empty.
        /// </summary>
        EmptySequenceWithoutValue,

        /// <summary>
        /// pydicom writes {"Alphabetic": ""} ahead of a present Ideographic/Phonetic group; we omit the empty
        /// component group (PS3.18 F.2.2: the PN object holds the groups that are present).
        /// </summary>
        EmptyPersonNameGroupOmitted,

        /// <summary>
        /// pydicom writes a person name of delimiters only as it is ({"Alphabetic":"^^^^"}); we write it as the empty
        /// value (PS3.5 6.2.1.1: trailing empty components and their delimiters may be left out, so nothing is left).
        /// </summary>
        DelimiterOnlyPersonNameIsEmpty,

        /// <summary>
        /// Our element is UN where pydicom, using its data dictionary, names the VR (implicit VR files). PS3.18 F.2.7
        /// carries UN as bytes; our dictionary is a stub until the generated one lands, so the element is compared
        /// as UN. Expected to disappear from implicit VR files with the generated dictionary.
        /// </summary>
        UnknownVRKeptAsUN,

        /// <summary>
        /// Encapsulated pixel data: we always give a BulkDataURI (the fragments have no JSON form; PS3.18 F.2.6),
        /// pydicom inlines the encapsulated byte stream when small.
        /// </summary>
        EncapsulatedAsBulkData,

        /// <summary>
        /// Encapsulated pixel data whose file says OW (or, read as implicit VR, has no VR): pydicom echoes OW, we
        /// write OB, the only VR PS3.5 A.4 allows for encapsulated values.
        /// </summary>
        EncapsulatedIsOB,

        /// <summary>
        /// A DS/IS value that is not a valid number (or an integer past ±2^53): we write the text as a JSON string
        /// (PS3.18 F.2.3.1 allows strings for IS, DS, SV, UV); pydicom drops or coerces it.
        /// </summary>
        InvalidNumberAsString,

        /// <summary>
        /// pydicom strips padding from the whole value only, so "DERIVED \\PRIMARY" gives "DERIVED "; we trim each
        /// value of a multi-valued attribute, and leading spaces where PS3.5 6.2 (Table 6.2-1) calls them
        /// insignificant (AE, AS, CS, DA, DS, DT, IS, TM, SH, LO, PN).
        /// </summary>
        InsignificantSpacesTrimmed,

        /// <summary>
        /// Big endian files: pydicom inlines OB/OW bytes in the file's byte order; we hold and write them little
        /// endian, the only byte order of DICOMweb's uncompressed binary values (InlineBinary and bulk data are
        /// Explicit VR Little Endian octets, PS3.18 F.2.7 and 8.7.3).
        /// </summary>
        LittleEndianBinary,
    }

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(CorpusFiles.Directory("json_expected"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(f));
        }

        return data;
    }

    private static readonly DicomJsonOptions PydicomLike = new()
    {
        // pydicom: base64 text longer than 1024 characters, i.e. 769 bytes or more, goes to the handler.
        BulkDataThreshold = 769,
        BulkDataUriBuilder = c => "bulk/" + c.Element.Tag.ToHexString(),
    };

    [Fact]
    public void Corpus_ExpectedFiles_Present()
    {
        Assert.True(Files().Count >= 60, "json_expected should hold pydicom's JSON for the corpus");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Write_CorpusFile_MatchesPydicomUpToDocumentedDifferences(string name)
    {
        var result = DicomReader.ReadFile(File.ReadAllBytes(CorpusFiles.PathOf(name + ".dcm")));
        var ours = JsonDocument.Parse(DicomJsonWriter.ToUtf8Bytes(result.Dataset, PydicomLike));
        var theirs = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(CorpusFiles.Directory("json_expected"), name + ".json")));
        var cmp = new Comparer();
        cmp.Dataset(ours.RootElement, theirs.RootElement, name);
        Assert.True(cmp.Failures.Count == 0, string.Join("\n", cmp.Failures.Take(30)));
        // Implicit VR files compare mostly as UN until the generated dictionary lands; the rest must match.
        Assert.True(cmp.Equal > 0 || cmp.Differences.ContainsKey(Difference.UnknownVRKeptAsUN), $"{name}: nothing compared");

        // Our own JSON reads back and writes identically (byte-stable round trip on real data).
        var first = DicomJsonWriter.ToUtf8Bytes(result.Dataset, PydicomLike);
        var again = DicomJsonWriter.ToUtf8Bytes(DicomJsonReader.Read(first), PydicomLike);
        Assert.Equal(first, again);
    }

    internal sealed class Comparer
    {
        public List<string> Failures { get; } = [];
        public Dictionary<Difference, int> Differences { get; } = [];
        public int Equal { get; private set; }

        private void Note(Difference d) => Differences[d] = Differences.GetValueOrDefault(d) + 1;

        public void Dataset(JsonElement ours, JsonElement theirs, string path)
        {
            foreach (var p in theirs.EnumerateObject())
            {
                var at = path + "/" + p.Name;
                if (!ours.TryGetProperty(p.Name, out var o))
                {
                    if (p.Name.EndsWith("0000", StringComparison.Ordinal))
                    {
                        Note(Difference.GroupLengthOmitted);
                    }
                    else
                    {
                        Failures.Add($"{at}: missing in ours, pydicom has {p.Value}");
                    }

                    continue;
                }
                Attribute(o, p.Value, at);
            }
            foreach (var p in ours.EnumerateObject())
            {
                if (theirs.TryGetProperty(p.Name, out _))
                {
                    continue;
                }
                // pydicom (suppress_invalid_tags) drops an IS/DS it cannot convert; we keep it as a string.
                if (p.Value.GetProperty("vr").GetString() is "IS" or "DS" && p.Value.TryGetProperty("Value", out var v)
                    && v.EnumerateArray().Any(x => x.ValueKind == JsonValueKind.String))
                {
                    Note(Difference.InvalidNumberAsString);
                }
                else
                {
                    Failures.Add($"{path}/{p.Name}: only in ours: {p.Value}");
                }
            }
        }

        private void Attribute(JsonElement ours, JsonElement theirs, string at)
        {
            var ovr = ours.GetProperty("vr").GetString();
            var tvr = theirs.GetProperty("vr").GetString();
            if (ovr != tvr)
            {
                if (ovr == "UN")
                {
                    Note(Difference.UnknownVRKeptAsUN);
                }
                else if (ovr == "OB" && tvr == "OW" && Kind(ours) == "BulkDataURI" && at.EndsWith("7FE00010", StringComparison.Ordinal))
                {
                    Note(Difference.EncapsulatedIsOB);
                }
                else
                {
                    Failures.Add($"{at}: vr {ovr} vs pydicom {tvr}");
                }

                return;
            }
            var oKind = Kind(ours);
            var tKind = Kind(theirs);
            if (oKind == "BulkDataURI" && tKind == "InlineBinary" && at.EndsWith("7FE00010", StringComparison.Ordinal))
            {
                Note(Difference.EncapsulatedAsBulkData);
                return;
            }
            if (tKind == "Value" && oKind is null && theirs.GetProperty("Value").GetArrayLength() == 0)
            {
                if (ovr == "SQ")
                {
                    Note(Difference.EmptySequenceWithoutValue);
                }
                else
                {
                    Equal++;
                }

                return;
            }
            if (ovr == "PN" && oKind is null && tKind == "Value" && theirs.GetProperty("Value").EnumerateArray().All(IsDelimitersOnly))
            {
                Note(Difference.DelimiterOnlyPersonNameIsEmpty);
                return;
            }
            if (oKind != tKind)
            {
                Failures.Add($"{at}: {oKind ?? "no value"} vs pydicom {tKind ?? "no value"}");
                return;
            }
            if (oKind is null)
            {
                Equal++;
                return;
            }
            var o = ours.GetProperty(oKind);
            var t = theirs.GetProperty(tKind!);
            if (oKind != "Value")
            {
                if (o.GetString() == t.GetString())
                {
                    Equal++;
                }
                else if (oKind == "InlineBinary" && ovr is "OW" && Swapped(o.GetBytesFromBase64(), t.GetBytesFromBase64()))
                {
                    Note(Difference.LittleEndianBinary);
                }
                else
                {
                    Failures.Add($"{at}: {oKind} differs");
                }

                return;
            }
            if (ovr == "SQ")
            {
                if (o.GetArrayLength() != t.GetArrayLength())
                {
                    Failures.Add($"{at}: {o.GetArrayLength()} items vs pydicom {t.GetArrayLength()}");
                    return;
                }
                for (var i = 0; i < o.GetArrayLength(); i++)
                {
                    Dataset(o[i], t[i], at + "/" + i);
                }

                return;
            }
            if (o.GetArrayLength() != t.GetArrayLength())
            {
                Failures.Add($"{at}: {o.GetArrayLength()} values {o} vs pydicom {t.GetArrayLength()} {t}");
                return;
            }
            for (var i = 0; i < o.GetArrayLength(); i++)
            {
                Value(o[i], t[i], ovr!, $"{at}[{i}]");
            }
        }

        private void Value(JsonElement o, JsonElement t, string vr, string at)
        {
            if (o.ValueKind == JsonValueKind.Null)
            {
                if (t.ValueKind == JsonValueKind.Null)
                {
                    Equal++;
                }
                else if (IsEmpty(t))
                {
                    Note(Difference.EmptyValueIsNull);
                }
                else if (vr == "PN" && IsDelimitersOnly(t))
                {
                    Note(Difference.DelimiterOnlyPersonNameIsEmpty);
                }
                else
                {
                    Failures.Add($"{at}: null vs pydicom {t}");
                }

                return;
            }
            if (o.ValueKind == JsonValueKind.Number && t.ValueKind == JsonValueKind.Number)
            {
                if (o.GetDouble() == t.GetDouble() || (vr is "FL" && (float)o.GetDouble() == (float)t.GetDouble()))
                {
                    Equal++;
                }
                else
                {
                    Failures.Add($"{at}: {o} vs pydicom {t}");
                }

                return;
            }
            if (o.ValueKind == JsonValueKind.String && vr is "DS" or "IS" && t.ValueKind != JsonValueKind.String)
            {
                Note(Difference.InvalidNumberAsString);
                return;
            }
            if (o.ValueKind == JsonValueKind.Object && t.ValueKind == JsonValueKind.Object)
            {
                var theirGroups = t.EnumerateObject().Where(p => p.Value.GetString()?.Length > 0).ToDictionary(p => p.Name, p => p.Value.GetString());
                var ourGroups = o.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
                if (theirGroups.Count == ourGroups.Count && theirGroups.All(g => ourGroups.GetValueOrDefault(g.Key) == g.Value))
                {
                    if (theirGroups.Count == t.EnumerateObject().Count())
                    {
                        Equal++;
                    }
                    else
                    {
                        Note(Difference.EmptyPersonNameGroupOmitted);
                    }
                }
                else
                {
                    Failures.Add($"{at}: {o} vs pydicom {t}");
                }

                return;
            }
            if (o.ValueKind == JsonValueKind.String && t.ValueKind == JsonValueKind.String)
            {
                var os = o.GetString()!;
                var ts = t.GetString()!;
                if (os == ts)
                {
                    Equal++;
                }
                else if (os == DicomDataset.TrimValue(ts, DicomVR.Parse(vr)))
                {
                    Note(Difference.InsignificantSpacesTrimmed);
                }
                else
                {
                    Failures.Add($"{at}: \"{os}\" vs pydicom \"{ts}\"");
                }

                return;
            }
            Failures.Add($"{at}: {o} vs pydicom {t}");
        }

        private static bool Swapped(byte[] ours, byte[] theirs)
        {
            if (ours.Length != theirs.Length || (ours.Length & 1) != 0)
            {
                return false;
            }

            for (var i = 0; i < ours.Length; i += 2)
            {
                if (ours[i] != theirs[i + 1] || ours[i + 1] != theirs[i])
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsDelimitersOnly(JsonElement t) =>
            t.ValueKind == JsonValueKind.Null
            || t.ValueKind == JsonValueKind.Object && t.EnumerateObject().All(p => p.Value.GetString()!.AsSpan().IndexOfAnyExcept("^ ") < 0);

        private static bool IsEmpty(JsonElement t) =>
            t.ValueKind == JsonValueKind.String && t.GetString()!.Length == 0
            || t.ValueKind == JsonValueKind.Object && t.EnumerateObject().All(p => string.IsNullOrEmpty(p.Value.GetString()));

        private static string? Kind(JsonElement a) =>
            a.TryGetProperty("Value", out _) ? "Value"
            : a.TryGetProperty("InlineBinary", out _) ? "InlineBinary"
            : a.TryGetProperty("BulkDataURI", out _) ? "BulkDataURI"
            : null;
    }
}
