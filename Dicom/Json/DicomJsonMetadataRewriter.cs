using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pacs.Dicom.Json;

/// <summary>
/// Rewrites a stored DICOM JSON header (PS3.18 F) into a WADO-RS metadata object (PS3.18 10.4.1.2.3). The header
/// is DICOM JSON as <see cref="DicomJsonWriter"/> wrote it at ingest, without bulk data: values of 64 KiB or more
/// were written without a value, and Pixel Data was never parsed. Both get a BulkDataURI (PS3.18 F.2.6) of the form
/// <c>{prefix}{tag}[/{item}/{tag}...]</c>, as does any binary value of <see cref="BulkDataThreshold"/> bytes or more;
/// group lengths are left out. Everything else is copied as it is.
/// </summary>
/// <remarks>
/// The rewrite is a copy of the stored JSON, scanned rather than parsed, that only touches what changes: a series
/// build runs it a few hundred thousand times per series, so the scanning methods are compiled optimised from the
/// first call (tiered compilation would leave the first builds of a process on unoptimised code). A pure function
/// of its inputs: no I/O, no state between calls.
/// </remarks>
public static class DicomJsonMetadataRewriter
{
    /// <summary>Binary values at least this long are sent as BulkDataURI, shorter ones inline.</summary>
    public const int BulkDataThreshold = 1024;

    /// <summary>
    /// One instance's metadata object, from its stored header (UTF-8 JSON as PostgreSQL writes jsonb, or any other
    /// valid JSON of the same content), written compact. The header is trusted to be valid JSON (the index only holds
    /// jsonb), so it is scanned rather than tokenised: element by element, copying values as they are.
    /// </summary>
    public static void WriteInstance(IBufferWriter<byte> output, ReadOnlySpan<byte> headerJson, string bulkDataUriPrefix, string transferSyntaxUid)
    {
        ArgumentNullException.ThrowIfNull(output);
        var buffer = new JsonOutputBuffer(headerJson.Length);
        WriteInstance(buffer, headerJson, bulkDataUriPrefix, transferSyntaxUid);
        output.Write(buffer.Written);
    }

    /// <summary>As above, appending to <paramref name="output"/> (many instances one after another, without a copy each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WriteInstance(JsonOutputBuffer output, ReadOnlySpan<byte> headerJson, string bulkDataUriPrefix, string transferSyntaxUid)
    {
        ArgumentNullException.ThrowIfNull(output);
        var context = new InstanceContext(JsonEncodedText.Encode(bulkDataUriPrefix, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes.ToArray(), transferSyntaxUid);
        var position = 0;
        try
        {
            SkipWhitespace(headerJson, ref position);
            WriteDataset(output, headerJson, ref position, context, topLevel: true);
        }
        catch (IndexOutOfRangeException e)
        {
            throw new JsonException("A stored header ends early.", e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new JsonException("A stored header ends early.", e);
        }
    }

    /// <summary>Where the writer is: the (JSON-escaped) URI prefix of the instance and the sequence items it is in.</summary>
    private sealed class InstanceContext(byte[] uriPrefix, string transferSyntaxUid)
    {
        public byte[] UriPrefix { get; } = uriPrefix;
        public string TransferSyntaxUid { get; } = transferSyntaxUid;
        public List<string> Path { get; } = [];
    }

    /// <summary>One element of a stored header: its VR and where its value is (raw JSON, escapes kept).</summary>
    private ref struct StoredElement
    {
        public ReadOnlySpan<byte> Vr;
        public ReadOnlySpan<byte> Value;
        public ReadOnlySpan<byte> InlineBinary;
        public ReadOnlySpan<byte> BulkDataUri;
        public bool HasValue;
        public bool HasInlineBinary;
        public bool HasBulkDataUri;
    }

    /// <summary>Copies a data set object starting at <paramref name="position"/>, leaving it after the object.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteDataset(JsonOutputBuffer output, ReadOnlySpan<byte> json, ref int position, InstanceContext context, bool topLevel)
    {
        Expect(json, ref position, (byte)'{');
        output.Write("{"u8);
        var first = true;
        var hasRows = false;
        var pixelDataPending = topLevel; // until Pixel Data is seen or written
        ushort bitsAllocated = 16;
        SkipWhitespace(json, ref position);
        if (json[position] == (byte)'}')
        {
            position++;
        }
        else
        {
            while (true)
            {
                var key = ReadString(json, ref position);
                SkipWhitespace(json, ref position);
                Expect(json, ref position, (byte)':');
                SkipWhitespace(json, ref position);
                var element = ReadElement(json, ref position);
                // PS3.5 7.2: group lengths are retired and meaningless outside a byte stream; the writer leaves them out.
                if (!(key.Length == 8 && key.EndsWith("0000"u8)))
                {
                    if (pixelDataPending)
                    {
                        var order = key.SequenceCompareTo("7FE00010"u8);
                        if (order == 0)
                        {
                            pixelDataPending = false;
                        }
                        else if (order > 0 && hasRows)
                        {
                            Separator(output, ref first);
                            WritePixelData(output, context, bitsAllocated);
                            pixelDataPending = false;
                        }
                    }
                    if (topLevel && key.SequenceEqual("00280010"u8))
                    {
                        hasRows = true;
                    }

                    if (topLevel && key.SequenceEqual("00280100"u8) && element.HasValue && FirstNumber(element.Value) is { } bits)
                    {
                        bitsAllocated = bits;
                    }

                    Separator(output, ref first);
                    WriteElement(output, key, ref element, context);
                }
                SkipWhitespace(json, ref position);
                var next = json[position++];
                if (next == (byte)'}')
                {
                    break;
                }

                if (next != (byte)',')
                {
                    throw new JsonException("Expected ',' or '}' in a stored header.");
                }

                SkipWhitespace(json, ref position);
            }
        }
        if (pixelDataPending && hasRows)
        {
            Separator(output, ref first);
            WritePixelData(output, context, bitsAllocated);
        }
        output.Write("}"u8);
    }

    /// <summary>Reads an element object: "vr", and which of "Value", "InlineBinary", "BulkDataURI" it has (any order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static StoredElement ReadElement(ReadOnlySpan<byte> json, scoped ref int position)
    {
        var element = default(StoredElement);
        Expect(json, ref position, (byte)'{');
        SkipWhitespace(json, ref position);
        if (json[position] == (byte)'}')
        {
            position++;
            return element;
        }
        while (true)
        {
            var name = ReadString(json, ref position);
            SkipWhitespace(json, ref position);
            Expect(json, ref position, (byte)':');
            SkipWhitespace(json, ref position);
            if (name.SequenceEqual("vr"u8))
            {
                element.Vr = ReadString(json, ref position);
            }
            else if (name.SequenceEqual("Value"u8))
            {
                var start = position;
                SkipValue(json, ref position);
                element.Value = json[start..position];
                element.HasValue = true;
            }
            else if (name.SequenceEqual("InlineBinary"u8))
            {
                element.InlineBinary = ReadString(json, ref position);
                element.HasInlineBinary = true;
            }
            else if (name.SequenceEqual("BulkDataURI"u8))
            {
                element.BulkDataUri = ReadString(json, ref position);
                element.HasBulkDataUri = true;
            }
            else
            {
                SkipValue(json, ref position);
            }

            SkipWhitespace(json, ref position);
            var next = json[position++];
            if (next == (byte)'}')
            {
                return element;
            }

            if (next != (byte)',')
            {
                throw new JsonException("Expected ',' or '}' in a stored header element.");
            }

            SkipWhitespace(json, ref position);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteElement(JsonOutputBuffer output, ReadOnlySpan<byte> key, ref StoredElement element, InstanceContext context)
    {
        output.Write("\""u8);
        output.Write(key);
        output.Write("\":{\"vr\":\""u8);
        output.Write(element.Vr);
        output.Write("\""u8);
        if (element.HasValue)
        {
            if (element.Vr.SequenceEqual("SQ"u8))
            {
                WriteItems(output, element.Value, key, context);
            }
            else
            {
                output.Write(",\"Value\":"u8);
                WriteCompact(output, element.Value);
            }
        }
        else if (element.HasBulkDataUri)
        {
            output.Write(",\"BulkDataURI\":\""u8);
            output.Write(element.BulkDataUri);
            output.Write("\""u8);
        }
        else if (element.HasInlineBinary)
        {
            // PS3.18 F.2.7: base64 of the value; 4 characters per 3 bytes, '=' padding at the end.
            var base64 = element.InlineBinary;
            var padding = base64.EndsWith("=="u8) ? 2 : base64.EndsWith("="u8) ? 1 : 0;
            if (IsBinary(element.Vr) && base64.Length / 4 * 3 - padding >= BulkDataThreshold)
            {
                WriteBulkDataUri(output, context, key);
            }
            else
            {
                output.Write(",\"InlineBinary\":\""u8);
                output.Write(base64);
                output.Write("\""u8);
            }
        }
        else if (IsBinary(element.Vr))
        {
            // A binary value the index left without one: at least 64 KiB, so never inline.
            WriteBulkDataUri(output, context, key);
        }
        output.Write("}"u8);
    }

    /// <summary>The items of a sequence, each a data set; an empty sequence has no "Value" (PS3.18 F.2.5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteItems(JsonOutputBuffer output, ReadOnlySpan<byte> json, ReadOnlySpan<byte> key, InstanceContext context)
    {
        var position = 0;
        Expect(json, ref position, (byte)'[');
        SkipWhitespace(json, ref position);
        if (json[position] == (byte)']')
        {
            return;
        }

        output.Write(",\"Value\":["u8);
        var index = 0;
        while (true)
        {
            if (index > 0)
            {
                output.Write(","u8);
            }

            context.Path.Add(BulkDataPath.ItemStep(Encoding.ASCII.GetString(key), index));
            WriteDataset(output, json, ref position, context, topLevel: false);
            context.Path.RemoveAt(context.Path.Count - 1);
            index++;
            SkipWhitespace(json, ref position);
            var next = json[position++];
            if (next == (byte)']')
            {
                break;
            }

            if (next != (byte)',')
            {
                throw new JsonException("Expected ',' or ']' in a stored sequence.");
            }

            SkipWhitespace(json, ref position);
        }
        output.Write("]"u8);
    }

    /// <summary>
    /// The index stopped reading at Pixel Data, so an image's header has none: it gets a URI (PS3.5 8.2: OB when
    /// encapsulated; OW or OB by Bits Allocated).
    /// </summary>
    private static void WritePixelData(JsonOutputBuffer output, InstanceContext context, ushort bitsAllocated)
    {
        var syntax = DicomTransferSyntax.Resolve(context.TransferSyntaxUid);
        output.Write(syntax.IsEncapsulated || bitsAllocated <= 8 ? "\"7FE00010\":{\"vr\":\"OB\""u8 : "\"7FE00010\":{\"vr\":\"OW\""u8);
        WriteBulkDataUri(output, context, "7FE00010"u8);
        output.Write("}"u8);
    }

    /// <summary>The URI of a value: the instance's bulk data resource and the element's path (<see cref="BulkDataPath"/>).</summary>
    private static void WriteBulkDataUri(JsonOutputBuffer output, InstanceContext context, ReadOnlySpan<byte> key)
    {
        output.Write(",\"BulkDataURI\":\""u8);
        output.Write(context.UriPrefix);
        foreach (var step in context.Path)
        {
            output.Write(Encoding.ASCII.GetBytes(step));
            output.Write("/"u8);
        }
        output.Write(key);
        output.Write("\""u8);
    }

    private static readonly SearchValues<byte> OutsideStringStops = SearchValues.Create(" \t\r\n\""u8);
    private static readonly SearchValues<byte> InsideStringStops = SearchValues.Create("\\\""u8);
    private static readonly SearchValues<byte> StructureStops = SearchValues.Create("\"{}[]"u8);
    private static readonly SearchValues<byte> ScalarEnds = SearchValues.Create(",}] \t\r\n"u8);

    /// <summary>
    /// Writes a JSON value as it is but without whitespace between tokens (PostgreSQL writes jsonb with ", " and
    /// ": "). Strings and numbers keep their text, escapes included: the same value, in fewer bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteCompact(JsonOutputBuffer output, ReadOnlySpan<byte> json)
    {
        var target = output.GetSpan(json.Length);
        var written = 0;
        var rest = json;
        while (!rest.IsEmpty)
        {
            // Outside strings: copy up to whitespace (dropped) or a quote (a string starts).
            var stop = rest.IndexOfAny(OutsideStringStops);
            if (stop < 0)
            {
                rest.CopyTo(target[written..]);
                written += rest.Length;
                break;
            }
            rest[..stop].CopyTo(target[written..]);
            written += stop;
            if (rest[stop] != (byte)'"')
            {
                rest = rest[(stop + 1)..];
                continue;
            }
            var end = StringEnd(rest, stop);
            rest[stop..end].CopyTo(target[written..]);
            written += end - stop;
            rest = rest[end..];
        }
        output.Advance(written);
    }

    /// <summary>The index just after the string that starts with the quote at <paramref name="quote"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int StringEnd(ReadOnlySpan<byte> json, int quote)
    {
        var i = quote + 1;
        // Most strings here are short (tags, VRs, codes): a plain loop beats a vectorised search on those.
        for (var limit = Math.Min(json.Length, i + 24); i < limit; i++)
        {
            var b = json[i];
            if (b == (byte)'"')
            {
                return i + 1;
            }

            if (b == (byte)'\\')
            {
                i++;
            }
        }
        while (true)
        {
            var next = json[i..].IndexOfAny(InsideStringStops);
            if (next < 0)
            {
                throw new JsonException("Unterminated string in a stored header.");
            }

            i += next;
            if (json[i] == (byte)'"')
            {
                return i + 1;
            }

            i += 2; // a backslash escapes the byte after it
        }
    }

    /// <summary>A string's content between its quotes, escapes kept; <paramref name="position"/> moves past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReadOnlySpan<byte> ReadString(ReadOnlySpan<byte> json, scoped ref int position)
    {
        if (json[position] != (byte)'"')
        {
            throw new JsonException("Expected a string in a stored header.");
        }

        var end = StringEnd(json, position);
        var content = json[(position + 1)..(end - 1)];
        position = end;
        return content;
    }

    /// <summary>Moves past one JSON value of any kind.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SkipValue(ReadOnlySpan<byte> json, ref int position)
    {
        var b = json[position];
        if (b == (byte)'"')
        {
            position = StringEnd(json, position);
            return;
        }
        if (b is not ((byte)'{' or (byte)'['))
        {
            var end = json[position..].IndexOfAny(ScalarEnds);
            position = end < 0 ? json.Length : position + end;
            return;
        }
        var depth = 0;
        while (true)
        {
            var next = json[position..].IndexOfAny(StructureStops);
            if (next < 0)
            {
                throw new JsonException("Unterminated value in a stored header.");
            }

            position += next;
            switch (json[position])
            {
                case (byte)'"':
                    position = StringEnd(json, position);
                    continue;
                case (byte)'{' or (byte)'[':
                    depth++;
                    break;
                default:
                    depth--;
                    break;
            }
            position++;
            if (depth == 0)
            {
                return;
            }
        }
    }

    /// <summary>The first number of a "Value" array, e.g. Bits Allocated; null when it is not a small unsigned integer.</summary>
    private static ushort? FirstNumber(ReadOnlySpan<byte> value)
    {
        var position = 0;
        if (value.IsEmpty || value[0] != (byte)'[')
        {
            return null;
        }

        position++;
        SkipWhitespace(value, ref position);
        return Utf8Parser.TryParse(value[position..], out ushort number, out var consumed) && consumed > 0 ? number : null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SkipWhitespace(ReadOnlySpan<byte> json, ref int position)
    {
        while (position < json.Length && json[position] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            position++;
        }
    }

    private static void Expect(ReadOnlySpan<byte> json, ref int position, byte expected)
    {
        if (json[position] != expected)
        {
            throw new JsonException($"Expected '{(char)expected}' in a stored header.");
        }

        position++;
    }

    private static void Separator(JsonOutputBuffer output, ref bool first)
    {
        if (!first)
        {
            output.Write(","u8);
        }

        first = false;
    }

    /// <summary>VRs whose values are bytes (PS3.18 F.2.7: InlineBinary or BulkDataURI).</summary>
    private static bool IsBinary(ReadOnlySpan<byte> vr) =>
        vr.Length == 2 && (vr[0], vr[1]) is ((byte)'O', (byte)'B' or (byte)'W' or (byte)'D' or (byte)'F' or (byte)'L' or (byte)'V') or ((byte)'U', (byte)'N');
}
