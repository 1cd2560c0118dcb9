using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Pacs.Dicom.Json;

/// <summary>
/// Reads the DICOM JSON Model (PS3.18 Annex F) into <see cref="DicomDataset"/>s with little-endian, padded values.
/// Malformed JSON and JSON of the wrong shape raise <see cref="DicomFormatException"/> whose offset is the JSON byte
/// offset; nesting is bounded.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Text is stored UTF-8 unless the JSON declares Specific Character Set (0008,0005), in which case it is
/// encoded with that set. If none is declared and any value is non-ASCII, the top data set gets
/// (0008,0005) = "ISO_IR 192" so the bytes say what they are (PS3.18 F.2: JSON text is Unicode).</item>
/// <item>IS and DS given as JSON numbers keep the number's exact text; a DS text longer than 16 characters is
/// shortened to the closest value that fits (PS3.5 Table 6.2-1).</item>
/// <item>"BulkDataURI" becomes an element whose payload is <see cref="BulkDataUri"/> (nothing is fetched).</item>
/// <item>Members may come in any order; unknown members of an attribute object are ignored.</item>
/// </list>
/// </remarks>
public static class DicomJsonReader
{
    private const int MaxDecimalStringLength = 16;

    /// <summary>
    /// Reads one data set object. <paramref name="reader"/> is before or on the StartObject token and must hold the
    /// whole object (a final block); it is left on the matching EndObject.
    /// </summary>
    public static DicomDataset Read(ref Utf8JsonReader reader, DicomJsonReaderOptions? options = null)
    {
        options ??= DicomJsonReaderOptions.Default;
        try
        {
            if (reader.TokenType == JsonTokenType.None && !reader.Read())
            {
                throw Error(ref reader, "Empty JSON");
            }

            var state = new State(options);
            var ds = ReadDataset(ref reader, state, 0);
            FixCharacterSets(ds, state);
            return ds;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // JsonException: syntax or depth; InvalidOperationException: invalid UTF-8 or escapes in a string.
            throw new DicomFormatException("Malformed JSON: " + FirstLine(ex.Message), reader.TokenStartIndex, default, ex);
        }
    }

    /// <summary>Reads an array of data set objects (a QIDO-RS response or metadata resource) from the reader.</summary>
    public static List<DicomDataset> ReadArray(ref Utf8JsonReader reader, DicomJsonReaderOptions? options = null)
    {
        options ??= DicomJsonReaderOptions.Default;
        try
        {
            if (reader.TokenType == JsonTokenType.None && !reader.Read())
            {
                throw Error(ref reader, "Empty JSON");
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw Error(ref reader, "Expected an array of data sets");
            }

            var list = new List<DicomDataset>();
            while (Next(ref reader) != JsonTokenType.EndArray)
            {
                var state = new State(options);
                var ds = ReadDataset(ref reader, state, 0);
                FixCharacterSets(ds, state);
                list.Add(ds);
            }
            return list;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // JsonException: syntax or depth; InvalidOperationException: invalid UTF-8 or escapes in a string.
            throw new DicomFormatException("Malformed JSON: " + FirstLine(ex.Message), reader.TokenStartIndex, default, ex);
        }
    }

    public static DicomDataset Read(ReadOnlySpan<byte> utf8Json, DicomJsonReaderOptions? options = null)
    {
        options ??= DicomJsonReaderOptions.Default;
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions(options));
        var ds = Read(ref reader, options);
        ExpectEnd(ref reader);
        return ds;
    }

    public static List<DicomDataset> ReadArray(ReadOnlySpan<byte> utf8Json, DicomJsonReaderOptions? options = null)
    {
        options ??= DicomJsonReaderOptions.Default;
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions(options));
        var list = ReadArray(ref reader, options);
        ExpectEnd(ref reader);
        return list;
    }

    public static async ValueTask<DicomDataset> ReadAsync(Stream stream, DicomJsonReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DicomJsonReaderOptions.Default;
        var (buffer, length) = await BufferAsync(stream, options.MaxInputBytes, cancellationToken).ConfigureAwait(false);
        try { return Read(buffer.AsSpan(0, length), options); }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    public static async ValueTask<List<DicomDataset>> ReadArrayAsync(Stream stream, DicomJsonReaderOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DicomJsonReaderOptions.Default;
        var (buffer, length) = await BufferAsync(stream, options.MaxInputBytes, cancellationToken).ConfigureAwait(false);
        try { return ReadArray(buffer.AsSpan(0, length), options); }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    private static JsonReaderOptions ReaderOptions(DicomJsonReaderOptions o) =>
        // Each sequence level costs three JSON levels (attribute object, Value array, item object).
        new() { MaxDepth = o.MaxSequenceDepth * 3 + 8, CommentHandling = JsonCommentHandling.Disallow };

    private static void ExpectEnd(ref Utf8JsonReader reader)
    {
        try
        {
            if (reader.Read())
            {
                throw Error(ref reader, "Unexpected content after the JSON value");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // JsonException: syntax or depth; InvalidOperationException: invalid UTF-8 or escapes in a string.
            throw new DicomFormatException("Malformed JSON: " + FirstLine(ex.Message), reader.TokenStartIndex, default, ex);
        }
    }

    private static async ValueTask<(byte[] Buffer, int Length)> BufferAsync(Stream stream, long max, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= max)
                    {
                        throw new DicomFormatException($"JSON larger than {max} bytes", length);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Min((long)buffer.Length * 2, max + 1), Array.MaxLength));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var n = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                length += n;
                if (length > max)
                {
                    throw new DicomFormatException($"JSON larger than {max} bytes", length);
                }
            }
            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private sealed class State(DicomJsonReaderOptions options)
    {
        public DicomJsonReaderOptions Options { get; } = options;

        /// <summary>Some text value was non-ASCII (stored as UTF-8 until the character set is known).</summary>
        public bool NonAscii { get; set; }
    }

    private static DicomDataset ReadDataset(ref Utf8JsonReader r, State state, int depth)
    {
        if (depth > state.Options.MaxSequenceDepth)
        {
            throw Error(ref r, $"Sequences nested deeper than {state.Options.MaxSequenceDepth}");
        }

        if (r.TokenType != JsonTokenType.StartObject)
        {
            throw Error(ref r, "Expected a data set object");
        }

        var ds = new DicomDataset();
        while (Next(ref r) != JsonTokenType.EndObject)
        {
            // Next() only returns PropertyName or EndObject inside an object.
            if (!TryParseTag(ref r, out var tag))
            {
                throw Error(ref r, "Attribute key is not eight hexadecimal digits");
            }

            if (ds.Contains(tag))
            {
                throw Error(ref r, "Duplicate attribute", tag);
            }

            Next(ref r);
            ds.Set(ReadAttribute(ref r, tag, state, depth));
        }
        return ds;
    }

    private static DicomElement ReadAttribute(ref Utf8JsonReader r, DicomTag tag, State state, int depth)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            throw Error(ref r, "Attribute must be an object", tag);
        }

        DicomVR? vr = null;
        Utf8JsonReader valueStart = default;
        var valueKind = 0; // 1 Value, 2 InlineBinary, 3 BulkDataURI
        DicomElement? parsed = null;
        while (Next(ref r) != JsonTokenType.EndObject)
        {
            var kind = r.ValueTextEquals("vr"u8) ? 0
                : r.ValueTextEquals("Value"u8) ? 1
                : r.ValueTextEquals("InlineBinary"u8) ? 2
                : r.ValueTextEquals("BulkDataURI"u8) ? 3
                : -1;
            Next(ref r);
            if (kind == 0)
            {
                if (vr is not null)
                {
                    throw Error(ref r, "Duplicate \"vr\"", tag);
                }

                vr = ParseVR(ref r, tag);
            }
            else if (kind > 0)
            {
                if (valueKind != 0)
                {
                    throw Error(ref r, "More than one of Value, InlineBinary, BulkDataURI", tag);
                }

                valueKind = kind;
                if (vr is { } known)
                {
                    parsed = ReadPayload(ref r, kind, tag, known, state, depth);
                }
                else
                {
                    valueStart = r; // checkpoint: "vr" may come after the value (JSON members are unordered)
                    r.Skip();
                }
            }
            else
            {
                r.Skip();
            }
        }
        if (vr is not { } v)
        {
            throw Error(ref r, "Attribute has no \"vr\"", tag);
        }

        if (parsed is { } done)
        {
            return done;
        }

        if (valueKind == 0)
        {
            return v == DicomVR.SQ ? new DicomElement(tag, new DicomSequence()) : new DicomElement(tag, v, ReadOnlyMemory<byte>.Empty);
        }

        var end = r; // resume after the attribute object once the value is parsed
        var element = ReadPayload(ref valueStart, valueKind, tag, v, state, depth);
        r = end;
        return element;
    }

    private static DicomElement ReadPayload(ref Utf8JsonReader r, int kind, DicomTag tag, DicomVR vr, State state, int depth) => kind switch
    {
        1 => ReadValue(ref r, tag, vr, state, depth),
        2 => ReadInlineBinary(ref r, tag, vr),
        _ => ReadBulkDataUri(ref r, tag, vr),
    };

    private static DicomVR ParseVR(ref Utf8JsonReader r, DicomTag tag)
    {
        if (r.TokenType != JsonTokenType.String)
        {
            throw Error(ref r, "\"vr\" must be a string", tag);
        }

        var span = r.ValueSpan;
        if (r.ValueIsEscaped || span.Length != 2)
        {
            throw Error(ref r, "\"vr\" must be two letters", tag);
        }

        var vr = DicomVR.FromChars(span[0], span[1]);
        if (!vr.IsKnown)
        {
            throw Error(ref r, "Unknown VR", tag);
        }

        return vr;
    }

    private static DicomElement ReadInlineBinary(ref Utf8JsonReader r, DicomTag tag, DicomVR vr)
    {
        if (r.TokenType != JsonTokenType.String)
        {
            throw Error(ref r, "InlineBinary must be a base64 string", tag);
        }

        if (vr == DicomVR.SQ)
        {
            throw Error(ref r, "InlineBinary on a sequence", tag);
        }

        byte[] bytes;
        try { bytes = r.GetBytesFromBase64(); }
        catch (FormatException) { throw Error(ref r, "InlineBinary is not valid base64", tag); }
        // Kept exactly (odd length too): DicomWriter pads on the way out, and JSON -> data set -> JSON stays identical.
        return new DicomElement(tag, vr, bytes);
    }

    private static DicomElement ReadBulkDataUri(ref Utf8JsonReader r, DicomTag tag, DicomVR vr)
    {
        if (r.TokenType != JsonTokenType.String)
        {
            throw Error(ref r, "BulkDataURI must be a string", tag);
        }

        if (vr == DicomVR.SQ)
        {
            throw Error(ref r, "BulkDataURI on a sequence", tag);
        }

        return new DicomElement(tag, vr, new BulkDataUri(r.GetString()!));
    }

    private static DicomElement ReadValue(ref Utf8JsonReader r, DicomTag tag, DicomVR vr, State state, int depth)
    {
        if (r.TokenType != JsonTokenType.StartArray)
        {
            throw Error(ref r, "\"Value\" must be an array", tag);
        }

        if (vr == DicomVR.SQ)
        {
            var items = new List<DicomDataset>();
            while (Next(ref r) != JsonTokenType.EndArray)
            {
                items.Add(ReadDataset(ref r, state, depth + 1));
            }

            return new DicomElement(tag, new DicomSequence(items));
        }
        if (vr.IsString)
        {
            return ReadStrings(ref r, tag, vr, state);
        }

        if ((vr.IsBinaryNumber && vr.HasLongExplicitLength && vr != DicomVR.SV && vr != DicomVR.UV) || vr.IsByteStream)
        {
            throw Error(ref r, $"\"Value\" is not allowed for {vr}: use InlineBinary or BulkDataURI", tag);
        }

        return ReadNumbers(ref r, tag, vr);
    }

    private static DicomElement ReadStrings(ref Utf8JsonReader r, DicomTag tag, DicomVR vr, State state)
    {
        var sb = new StringBuilder();
        var count = 0;
        while (Next(ref r) != JsonTokenType.EndArray)
        {
            if (count++ > 0)
            {
                sb.Append('\\');
            }

            switch (r.TokenType)
            {
                case JsonTokenType.Null:
                    break; // PS3.18 F.2.5: an empty value in a multi-valued attribute
                case JsonTokenType.String:
                    if (vr == DicomVR.PN)
                    {
                        sb.Append(r.GetString()); // lenient: "A=I=P" text instead of an object
                    }
                    else if (vr == DicomVR.DS)
                    {
                        AppendDecimal(sb, r.GetString()!);
                    }
                    else
                    {
                        sb.Append(r.GetString());
                    }

                    break;
                case JsonTokenType.Number when vr == DicomVR.IS || vr == DicomVR.DS:
                    AppendNumberText(ref r, sb, vr);
                    break;
                case JsonTokenType.StartObject when vr == DicomVR.PN:
                    AppendPersonName(ref r, sb, tag);
                    break;
                default:
                    throw Error(ref r, $"Unexpected {r.TokenType} in a {vr} value", tag);
            }
        }
        var text = sb.ToString();
        if (text.Length == count - 1)
        {
            text = ""; // only empty values: an empty element
        }

        byte[] bytes;
        if (Ascii.IsValid(text))
        {
            bytes = Encoding.ASCII.GetBytes(text);
        }
        else if (!vr.UsesSpecificCharacterSet)
        {
            throw Error(ref r, $"Non-ASCII text in a {vr} value", tag);
        }
        else
        {
            bytes = Encoding.UTF8.GetBytes(text); // re-encoded later if the data set declares another character set
            state.NonAscii = true;
        }
        return new DicomElement(tag, vr, DicomDataset.Pad(bytes, vr));
    }

    private static void AppendNumberText(ref Utf8JsonReader r, StringBuilder sb, DicomVR vr)
    {
        // Keep the number's own text: no double rounding on the way in.
        var raw = r.HasValueSequence ? Encoding.ASCII.GetString(r.ValueSequence) : Encoding.ASCII.GetString(r.ValueSpan);
        if (vr == DicomVR.IS)
        {
            // 1.0 or 1e2 are integers in JSON terms; IS wants digits.
            if (raw.AsSpan().IndexOfAny(".eE") >= 0 && decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                && d == decimal.Truncate(d))
            {
                raw = d.ToString("0", CultureInfo.InvariantCulture);
            }

            sb.Append(raw);
        }
        else
        {
            AppendDecimal(sb, raw);
        }
    }

    private static void AppendDecimal(StringBuilder sb, string text)
    {
        // PS3.5 Table 6.2-1: DS is at most 16 bytes. Shorten over-long numbers to the nearest value that fits.
        if (text.Length > MaxDecimalStringLength
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            for (var precision = 17; precision > 0; precision--)
            {
                var s = d.ToString("G" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
                if (s.Length <= MaxDecimalStringLength)
                {
                    text = s;
                    break;
                }
            }
        }
        sb.Append(text);
    }

    private static void AppendPersonName(ref Utf8JsonReader r, StringBuilder sb, DicomTag tag)
    {
        string? a = null, i = null, p = null;
        while (Next(ref r) != JsonTokenType.EndObject)
        {
            var which = r.ValueTextEquals("Alphabetic"u8) ? 0 : r.ValueTextEquals("Ideographic"u8) ? 1 : r.ValueTextEquals("Phonetic"u8) ? 2 : -1;
            Next(ref r);
            if (which < 0)
            {
                r.Skip();
                continue;
            }
            if (r.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            if (r.TokenType != JsonTokenType.String)
            {
                throw Error(ref r, "Person name component group must be a string", tag);
            }

            var s = r.GetString();
            if (which == 0)
            {
                a = s;
            }
            else if (which == 1)
            {
                i = s;
            }
            else
            {
                p = s;
            }
        }
        // PS3.5 6.2.1: trailing empty component groups and their '=' are left out.
        sb.Append(a);
        if (!string.IsNullOrEmpty(i) || !string.IsNullOrEmpty(p))
        {
            sb.Append('=').Append(i);
        }

        if (!string.IsNullOrEmpty(p))
        {
            sb.Append('=').Append(p);
        }
    }

    private static DicomElement ReadNumbers(ref Utf8JsonReader r, DicomTag tag, DicomVR vr)
    {
        // Size of one value (not vr.UnitSize: that is the byte-swap unit, 2 for AT).
        var unit = vr == DicomVR.AT ? 4 : vr.UnitSize;
        var buffer = new ArrayBufferWriter<byte>(unit * 4);
        while (Next(ref r) != JsonTokenType.EndArray)
        {
            var span = buffer.GetSpan(unit);
            if (vr == DicomVR.AT)
            {
                if (r.TokenType != JsonTokenType.String || r.ValueIsEscaped || r.ValueSpan.Length != 8
                    || !uint.TryParse(r.ValueSpan, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var t))
                {
                    throw Error(ref r, "AT value must be a string of eight hexadecimal digits", tag);
                }

                BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(t >> 16));
                BinaryPrimitives.WriteUInt16LittleEndian(span[2..], (ushort)t);
            }
            else if (vr == DicomVR.FL || vr == DicomVR.FD)
            {
                var d = ReadDouble(ref r, tag, vr);
                if (vr == DicomVR.FL)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(span, (float)d);
                }
                else
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(span, d);
                }
            }
            else if (vr == DicomVR.UV)
            {
                if (!TryGetInteger(ref r, out ulong u))
                {
                    throw Error(ref r, "UV value out of range", tag);
                }

                BinaryPrimitives.WriteUInt64LittleEndian(span, u);
            }
            else
            {
                if (!TryGetInteger(ref r, out long l))
                {
                    throw Error(ref r, $"{vr} value is not an integer", tag);
                }

                var (min, max) = vr.Code switch
                {
                    0x5553 => (ushort.MinValue, (long)ushort.MaxValue), // US
                    0x5353 => (short.MinValue, short.MaxValue),         // SS
                    0x554C => (uint.MinValue, uint.MaxValue),           // UL
                    0x534C => (int.MinValue, int.MaxValue),             // SL
                    _ => (long.MinValue, long.MaxValue),                // SV
                };
                if (l < min || l > max)
                {
                    throw Error(ref r, $"{vr} value out of range", tag);
                }

                switch (unit)
                {
                    case 2: BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)l); break;
                    case 4: BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)l); break;
                    default: BinaryPrimitives.WriteInt64LittleEndian(span, l); break;
                }
            }
            buffer.Advance(unit);
        }
        return new DicomElement(tag, vr, buffer.WrittenMemory.ToArray());
    }

    private static double ReadDouble(ref Utf8JsonReader r, DicomTag tag, DicomVR vr)
    {
        if (r.TokenType == JsonTokenType.Number && r.TryGetDouble(out var d))
        {
            return d;
        }

        if (r.TokenType == JsonTokenType.String)
        {
            // Our writer's spelling of the values JSON numbers cannot carry; numeric strings leniently.
            var s = r.GetString();
            if (s == "NaN")
            {
                return double.NaN;
            }

            if (s == "Infinity")
            {
                return double.PositiveInfinity;
            }

            if (s == "-Infinity")
            {
                return double.NegativeInfinity;
            }

            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d))
            {
                return d;
            }
        }
        throw Error(ref r, $"{vr} value is not a number", tag);
    }

    // PS3.18 F.2.3.1: 64-bit integers may arrive as strings.
    private static bool TryGetInteger(ref Utf8JsonReader r, out long value)
    {
        value = 0;
        return r.TokenType switch
        {
            JsonTokenType.Number => r.TryGetInt64(out value),
            JsonTokenType.String => !r.ValueIsEscaped && long.TryParse(r.ValueSpan, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }

    private static bool TryGetInteger(ref Utf8JsonReader r, out ulong value)
    {
        value = 0;
        return r.TokenType switch
        {
            JsonTokenType.Number => r.TryGetUInt64(out value),
            JsonTokenType.String => !r.ValueIsEscaped && ulong.TryParse(r.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }

    private static bool TryParseTag(ref Utf8JsonReader r, out DicomTag tag)
    {
        tag = default;
        if (r.ValueIsEscaped || r.ValueSpan.Length != 8)
        {
            return false;
        }

        if (!uint.TryParse(r.ValueSpan, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
        {
            return false;
        }

        tag = new DicomTag(v);
        return true;
    }

    /// <summary>
    /// Text was stored as UTF-8. Where a data set (or an enclosing one) declares a character set other than UTF-8,
    /// re-encode its non-ASCII values with it; where none is declared, declare ISO_IR 192 on the top data set.
    /// Also refreshes the items' inherited character sets, which depend on member order while parsing.
    /// </summary>
    private static void FixCharacterSets(DicomDataset top, State state)
    {
        if (!state.NonAscii)
        {
            Relink(top);
            return;
        }
        if (!DeclaresCharset(top) && !AnyDeclares(top))
        {
            top.SetString(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        }

        Reencode(top);
    }

    private static bool DeclaresCharset(DicomDataset ds) =>
        ds.TryGetElement(DicomTag.SpecificCharacterSet, out var e) && e.Value.Length > 0;

    private static bool AnyDeclares(DicomDataset ds)
    {
        foreach (var e in ds)
        {
            if (e.Sequence is { } sq)
            {
                foreach (var item in sq.Items)
                {
                    if (DeclaresCharset(item) || AnyDeclares(item))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static void Relink(DicomDataset ds)
    {
        foreach (var e in ds)
        {
            if (e.Sequence is { } sq)
            {
                foreach (var item in sq.Items)
                {
                    item.InheritedCharacterSet = ds.CharacterSet;
                    Relink(item);
                }
            }
        }
    }

    private static void Reencode(DicomDataset ds)
    {
        var charset = ds.CharacterSet;
        var isUtf8 = charset.Terms.Count > 0 && charset.Terms[^1] == "ISO_IR 192";
        List<DicomElement>? changed = null;
        foreach (var e in ds)
        {
            if (e.Sequence is { } sq)
            {
                foreach (var item in sq.Items)
                {
                    item.InheritedCharacterSet = charset;
                    Reencode(item);
                }
                continue;
            }
            if (isUtf8 || e.Payload is not null || !e.VR.UsesSpecificCharacterSet || Ascii.IsValid(e.Value.Span))
            {
                continue;
            }

            var text = Encoding.UTF8.GetString(e.Value.Span).TrimEnd(' ');
            (changed ??= []).Add(new DicomElement(e.Tag, e.VR, DicomDataset.Pad(charset.Encode(text, e.VR), e.VR)));
        }
        if (changed is not null)
        {
            foreach (var e in changed)
            {
                ds.Set(e);
            }
        }
    }

    /// <summary>Advances to the next token; running out of input inside a value is malformed JSON.</summary>
    private static JsonTokenType Next(ref Utf8JsonReader r)
    {
        if (!r.Read())
        {
            throw Error(ref r, "Unexpected end of JSON");
        }

        return r.TokenType;
    }

    private static DicomFormatException Error(ref Utf8JsonReader r, string reason, DicomTag tag = default) =>
        new(reason, r.TokenStartIndex, tag);

    private static string FirstLine(string s)
    {
        var i = s.IndexOfAny(['\r', '\n']);
        return i < 0 ? s : s[..i];
    }
}
