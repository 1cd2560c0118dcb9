using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Pacs.Dicom.Text;

namespace Pacs.Dicom.Json;

/// <summary>
/// Writes data sets in the DICOM JSON Model (PS3.18 Annex F) straight to a <see cref="Utf8JsonWriter"/>: no
/// reflection, no intermediate DOM. Output is byte-stable: elements come in tag order (the data set keeps it),
/// numbers are formatted with invariant, round-trip formats, nothing depends on hash order.
/// </summary>
/// <remarks>
/// Choices the standard leaves open, or where the input is not valid DICOM:
/// <list type="bullet">
/// <item>IS, DS, SV, UV are JSON numbers; a value that is not a valid number, or an integer outside ±2^53 (not exactly
/// representable in a JSON number read as a double), is written as a JSON string (PS3.18 F.2.3.1 allows strings).</item>
/// <item>A DS value whose text is already a JSON number is written as that text (no re-rounding); other valid
/// DS text ("+1.5", ".5", "1.") is written as the shortest round-trip form of its double.</item>
/// <item>FL, FD, OF/OD are never NaN/Infinity in JSON (RFC 8259 has no such numbers): such FL/FD values become the
/// strings "NaN", "Infinity", "-Infinity", which <see cref="DicomJsonReader"/> reads back.</item>
/// <item>UN stays UN with InlineBinary/BulkDataURI even when the dictionary knows the tag (PS3.18 F.2.7 treats UN
/// as bytes; re-interpreting it is the reader's job, not the JSON encoder's). An unknown VR is written as UN.</item>
/// <item>Group length elements (gggg,0000) are omitted (PS3.5 7.2: retired, and meaningless outside a byte stream).</item>
/// <item>An empty sequence is written like any empty attribute: {"vr":"SQ"} (PS3.18 F.2.5).</item>
/// </list>
/// </remarks>
public static class DicomJsonWriter
{
    private static readonly JsonEncodedText VrName = JsonEncodedText.Encode("vr");
    private static readonly JsonEncodedText ValueName = JsonEncodedText.Encode("Value");
    private static readonly JsonEncodedText InlineBinaryName = JsonEncodedText.Encode("InlineBinary");
    private static readonly JsonEncodedText BulkDataUriName = JsonEncodedText.Encode("BulkDataURI");
    private static readonly JsonEncodedText AlphabeticName = JsonEncodedText.Encode("Alphabetic");
    private static readonly JsonEncodedText IdeographicName = JsonEncodedText.Encode("Ideographic");
    private static readonly JsonEncodedText PhoneticName = JsonEncodedText.Encode("Phonetic");

    // PS3.18 F.2.3.1: integers beyond ±(2^53) cannot round-trip through an IEEE double.
    private const long MaxSafeInteger = 9007199254740992L;

    /// <summary>Writes one data set as a JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, DicomDataset dataset, DicomJsonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(dataset);
        var path = new List<DicomPathStep>();
        WriteDataset(writer, dataset, dataset.CharacterSet, options ?? DicomJsonOptions.Default, path);
    }

    /// <summary>Writes data sets as a JSON array: a QIDO-RS response or a metadata resource (PS3.18 F.2.1).</summary>
    public static void WriteArray(Utf8JsonWriter writer, IEnumerable<DicomDataset> datasets, DicomJsonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(datasets);
        options ??= DicomJsonOptions.Default;
        var path = new List<DicomPathStep>();
        writer.WriteStartArray();
        foreach (var ds in datasets)
        {
            WriteDataset(writer, ds, ds.CharacterSet, options, path);
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// One data set as UTF-8 JSON bytes. Without an encoder in <paramref name="writerOptions"/>, only what JSON
    /// requires is escaped (non-ASCII text stays UTF-8, '+' in base64 stays '+'): application/dicom+json is not
    /// embedded in HTML.
    /// </summary>
    public static byte[] ToUtf8Bytes(DicomDataset dataset, DicomJsonOptions? options = null, JsonWriterOptions writerOptions = default)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Relaxed(writerOptions)))
        {
            Write(w, dataset, options);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Data sets as a UTF-8 JSON array (compact).</summary>
    public static byte[] ToUtf8Bytes(IEnumerable<DicomDataset> datasets, DicomJsonOptions? options = null, JsonWriterOptions writerOptions = default)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Relaxed(writerOptions)))
        {
            WriteArray(w, datasets, options);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static JsonWriterOptions Relaxed(JsonWriterOptions o)
    {
        o.Encoder ??= JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        return o;
    }

    private static void WriteDataset(Utf8JsonWriter w, DicomDataset ds, DicomCharacterSet charset, DicomJsonOptions o, List<DicomPathStep> path)
    {
        w.WriteStartObject();
        foreach (var e in ds)
        {
            if (e.Tag.IsGroupLength)
            {
                continue;
            }

            WriteElement(w, ds, e, charset, o, path);
        }
        w.WriteEndObject();
    }

    private static void WriteElement(Utf8JsonWriter w, DicomDataset ds, in DicomElement e, DicomCharacterSet charset, DicomJsonOptions o, List<DicomPathStep> path)
    {
        Span<byte> key = stackalloc byte[8];
        e.Tag.Value.TryFormat(key, out _, "X8", CultureInfo.InvariantCulture);
        w.WritePropertyName(key);
        w.WriteStartObject();

        var vr = e.VR;
        if (!vr.IsKnown || (vr == DicomVR.SQ && e.Sequence is null && e.Payload is null))
        {
            vr = DicomVR.UN;
        }
        else if (e.Payload is DicomFragments)
        {
            vr = DicomVR.OB; // PS3.5 A.4: encapsulated values are OB, whatever an implicit VR reader guessed
        }

        Span<byte> vrText = [vr.First, vr.Second];
        w.WriteString(VrName, vrText);

        switch (e.Payload)
        {
            case DicomSequence sq:
                WriteSequence(w, e.Tag, sq, charset, o, path);
                break;
            case BulkDataUri uri:
                w.WriteString(BulkDataUriName, uri.Uri);
                break;
            case BulkDataReference or DicomFragments:
                // Not in memory, or encapsulated: only a URI can stand for it (PS3.18 F.2.6).
                WriteBulkUri(w, ds, e, o, path);
                break;
            default:
                WriteValue(w, ds, e, vr, charset, o, path);
                break;
        }
        w.WriteEndObject();
    }

    private static void WriteSequence(Utf8JsonWriter w, DicomTag tag, DicomSequence sq, DicomCharacterSet charset, DicomJsonOptions o, List<DicomPathStep> path)
    {
        if (sq.Items.Count == 0)
        {
            return; // PS3.18 F.2.5: empty attribute has no "Value"
        }

        w.WritePropertyName(ValueName);
        w.WriteStartArray();
        for (var i = 0; i < sq.Items.Count; i++)
        {
            path.Add(new DicomPathStep(tag, i));
            // PS3.5 6.1.2.3 note: an item without its own (0008,0005) uses the enclosing data set's. Passed down
            // here rather than trusting InheritedCharacterSet, which is only as fresh as the order items were added.
            var item = sq.Items[i];
            var itemCharset = item.TryGetElement(DicomTag.SpecificCharacterSet, out var cs) && cs.Value.Length > 0 ? item.CharacterSet : charset;
            WriteDataset(w, item, itemCharset, o, path);
            path.RemoveAt(path.Count - 1);
        }
        w.WriteEndArray();
    }

    private static void WriteBulkUri(Utf8JsonWriter w, DicomDataset ds, in DicomElement e, DicomJsonOptions o, List<DicomPathStep> path)
    {
        if (o.BulkDataUriBuilder is null)
        {
            return;
        }

        var steps = new DicomPathStep[path.Count + 1];
        path.CopyTo(steps);
        steps[^1] = new DicomPathStep(e.Tag, -1);
        var uri = o.BulkDataUriBuilder(new BulkDataContext(steps, ds, e));
        if (uri is not null)
        {
            w.WriteString(BulkDataUriName, uri);
        }
    }

    private static void WriteValue(Utf8JsonWriter w, DicomDataset ds, in DicomElement e, DicomVR vr, DicomCharacterSet charset, DicomJsonOptions o, List<DicomPathStep> path)
    {
        var bytes = e.Value.Span;
        if (bytes.IsEmpty)
        {
            return; // PS3.18 F.2.5
        }

        if (vr.IsByteStream || vr == DicomVR.OD || vr == DicomVR.OF || vr == DicomVR.OL || vr == DicomVR.OV || vr == DicomVR.OW)
        {
            // PS3.18 F.2.7: binary values are base64 of the little-endian bytes.
            if (o.BulkDataUriBuilder is not null && bytes.Length >= o.BulkDataThreshold)
            {
                WriteBulkUri(w, ds, e, o, path);
            }
            else
            {
                w.WriteBase64String(InlineBinaryName, bytes);
            }

            return;
        }

        if (vr.IsString)
        {
            WriteStrings(w, e, vr, charset);
            return;
        }

        w.WritePropertyName(ValueName);
        w.WriteStartArray();
        var code = vr.Code;
        if (code == DicomVR.AT.Code)
        {
            Span<char> hex = stackalloc char[8];
            for (var i = 0; i + 4 <= bytes.Length; i += 4)
            {
                var tag = ((uint)BinaryPrimitives.ReadUInt16LittleEndian(bytes[i..]) << 16) | BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i + 2)..]);
                tag.TryFormat(hex, out _, "X8", CultureInfo.InvariantCulture);
                w.WriteStringValue(hex);
            }
        }
        else if (code == DicomVR.US.Code)
        {
            for (var i = 0; i + 2 <= bytes.Length; i += 2)
            {
                w.WriteNumberValue(BinaryPrimitives.ReadUInt16LittleEndian(bytes[i..]));
            }
        }
        else if (code == DicomVR.SS.Code)
        {
            for (var i = 0; i + 2 <= bytes.Length; i += 2)
            {
                w.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(bytes[i..]));
            }
        }
        else if (code == DicomVR.UL.Code)
        {
            for (var i = 0; i + 4 <= bytes.Length; i += 4)
            {
                w.WriteNumberValue(BinaryPrimitives.ReadUInt32LittleEndian(bytes[i..]));
            }
        }
        else if (code == DicomVR.SL.Code)
        {
            for (var i = 0; i + 4 <= bytes.Length; i += 4)
            {
                w.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(bytes[i..]));
            }
        }
        else if (code == DicomVR.SV.Code)
        {
            for (var i = 0; i + 8 <= bytes.Length; i += 8)
            {
                WriteInt64(w, BinaryPrimitives.ReadInt64LittleEndian(bytes[i..]));
            }
        }
        else if (code == DicomVR.UV.Code)
        {
            for (var i = 0; i + 8 <= bytes.Length; i += 8)
            {
                var v = BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]);
                if (v <= MaxSafeInteger)
                {
                    w.WriteNumberValue(v);
                }
                else
                {
                    w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
                }
            }
        }
        else if (code == DicomVR.FL.Code)
        {
            for (var i = 0; i + 4 <= bytes.Length; i += 4)
            {
                var v = BinaryPrimitives.ReadSingleLittleEndian(bytes[i..]);
                if (float.IsFinite(v))
                {
                    w.WriteNumberValue(v);
                }
                else
                {
                    w.WriteStringValue(NonFinite(v));
                }
            }
        }
        else if (code == DicomVR.FD.Code)
        {
            for (var i = 0; i + 8 <= bytes.Length; i += 8)
            {
                var v = BinaryPrimitives.ReadDoubleLittleEndian(bytes[i..]);
                if (double.IsFinite(v))
                {
                    w.WriteNumberValue(v);
                }
                else
                {
                    w.WriteStringValue(NonFinite(v));
                }
            }
        }

        w.WriteEndArray();
    }

    private static void WriteInt64(Utf8JsonWriter w, long v)
    {
        if (v is >= -MaxSafeInteger and <= MaxSafeInteger)
        {
            w.WriteNumberValue(v);
        }
        else
        {
            w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture)); // PS3.18 F.2.3.1
        }
    }

    private static string NonFinite(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";

    private static void WriteStrings(Utf8JsonWriter w, in DicomElement e, DicomVR vr, DicomCharacterSet charset)
    {
        var span = e.Value.Span;
        var text = DicomDataset.TrimValue(vr.UsesSpecificCharacterSet ? charset.Decode(span, vr) : Encoding.Latin1.GetString(span), vr);
        if (text.Length == 0)
        {
            return; // PS3.18 F.2.5: zero length (or only padding) has no "Value"
        }
        // A person name of delimiters only ("^^^^", "^^\\=^") names nobody: PS3.5 6.2.1.1 lets trailing empty
        // components drop with their delimiters, so it is the empty value. Viewers that show "^" as ", " (OHIF's
        // study list showed such a patient as ",") then show their empty-name convention instead.
        if (vr == DicomVR.PN && IsDelimitersOnly(text))
        {
            return;
        }

        w.WritePropertyName(ValueName);
        w.WriteStartArray();
        if (vr.IsSingleValueText)
        {
            // LT, ST, UT, UR: backslash is a character, not a delimiter (PS3.5 6.2).
            w.WriteStringValue(text);
        }
        else
        {
            var rest = text.AsSpan();
            while (true)
            {
                var cut = rest.IndexOf('\\');
                var part = cut < 0 ? rest : rest[..cut];
                WriteOneString(w, DicomDataset.TrimValue(part.ToString(), vr), vr);
                if (cut < 0)
                {
                    break;
                }

                rest = rest[(cut + 1)..];
            }
        }
        w.WriteEndArray();
    }

    private static void WriteOneString(Utf8JsonWriter w, string value, DicomVR vr)
    {
        // PS3.18 F.2.5: an empty value within a multi-valued attribute is null.
        if (value.Length == 0)
        {
            w.WriteNullValue();
            return;
        }
        if (vr == DicomVR.PN)
        {
            WritePersonName(w, value);
        }
        else if (vr == DicomVR.IS)
        {
            WriteIntegerString(w, value);
        }
        else if (vr == DicomVR.DS)
        {
            WriteDecimalString(w, value);
        }
        else
        {
            w.WriteStringValue(value);
        }
    }

    /// <summary>PS3.18 F.2.2: a PN value is an object of its component groups; empty groups are left out.</summary>
    private static void WritePersonName(Utf8JsonWriter w, string value)
    {
        var s = value.AsSpan();
        var first = s.IndexOf('=');
        var alphabetic = first < 0 ? s : s[..first];
        ReadOnlySpan<char> ideographic = default, phonetic = default;
        if (first >= 0)
        {
            var rest = s[(first + 1)..];
            var second = rest.IndexOf('=');
            ideographic = second < 0 ? rest : rest[..second];
            if (second >= 0)
            {
                phonetic = rest[(second + 1)..];
            }
        }
        // PS3.5 6.2.1.1: a group of empty components ("^^^^") is an empty group.
        if (IsDelimitersOnly(alphabetic))
        {
            alphabetic = default;
        }

        if (IsDelimitersOnly(ideographic))
        {
            ideographic = default;
        }

        if (IsDelimitersOnly(phonetic))
        {
            phonetic = default;
        }

        if (alphabetic.IsEmpty && ideographic.IsEmpty && phonetic.IsEmpty)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        if (!alphabetic.IsEmpty)
        {
            w.WriteString(AlphabeticName, alphabetic);
        }

        if (!ideographic.IsEmpty)
        {
            w.WriteString(IdeographicName, ideographic);
        }

        if (!phonetic.IsEmpty)
        {
            w.WriteString(PhoneticName, phonetic);
        }

        w.WriteEndObject();
    }

    /// <summary>True for PN text made of component, group and value delimiters and spaces only (PS3.5 6.2.1).</summary>
    private static bool IsDelimitersOnly(ReadOnlySpan<char> text) => text.IndexOfAnyExcept("^=\\ ") < 0;

    private static void WriteIntegerString(Utf8JsonWriter w, string value)
    {
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            WriteInt64(w, v);
        }
        else
        {
            w.WriteStringValue(value); // not a valid IS: keep the text rather than fail the whole response
        }
    }

    private static void WriteDecimalString(Utf8JsonWriter w, string value)
    {
        if (IsJsonNumber(value))
        {
            // Already a JSON number: keep the exact text (no double rounding, byte-stable round trips).
            Span<byte> utf8 = stackalloc byte[value.Length];
            for (var i = 0; i < value.Length; i++)
            {
                utf8[i] = (byte)value[i];
            }

            w.WriteRawValue(utf8, skipInputValidation: true);
            return;
        }
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            w.WriteNumberValue(d); // "+1.5", ".5", "1." → shortest round-trip form
        }
        else
        {
            w.WriteStringValue(value); // not a valid DS (or NaN/Inf): JSON numbers cannot carry it
        }
    }

    /// <summary>RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</summary>
    internal static bool IsJsonNumber(ReadOnlySpan<char> s)
    {
        var i = 0;
        if (i < s.Length && s[i] == '-')
        {
            i++;
        }

        if (i >= s.Length)
        {
            return false;
        }

        if (s[i] == '0')
        {
            i++;
        }
        else if (s[i] is >= '1' and <= '9')
        {
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
        }
        else
        {
            return false;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }
        }
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            if (i < s.Length && (s[i] == '+' || s[i] == '-'))
            {
                i++;
            }

            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }
        }
        return i == s.Length;
    }
}
