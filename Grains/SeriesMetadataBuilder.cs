using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Npgsql;
using Pacs.Dicom;

namespace Pacs.Grains;

/// <summary>
/// Builds a series' WADO-RS metadata (PS3.18 10.4.1.2.3, Annex F) from the headers in the index, without reading a
/// blob. The index keeps each header as DICOM JSON without bulk data (written by the DICOM JSON writer at ingest):
/// values of 64 KiB or more were written without a value, and Pixel Data was never parsed. Both get a BulkDataURI
/// (PS3.18 F.2.6) of the form <c>{base}/studies/{s}/series/{se}/instances/{i}/bulkdata/{tag}[/{item}/{tag}...]</c>,
/// as does any binary value of <see cref="BulkDataThreshold"/> bytes or more.
/// </summary>
/// <remarks>
/// A cold build is the latency a viewer waits for when it opens a series nobody opened since the study grain was
/// activated (the DICOMweb issue: under 100 ms for 500 instances). Its cost is PostgreSQL turning 500 jsonb headers
/// into text (about 70 µs each) and the rewrite into metadata, so the headers are read in parts over several
/// connections, each part rewritten as its rows arrive, and the rewrite is a token-by-token copy of the stored JSON
/// (the stored header already is DICOM JSON as this archive writes it) that only touches what changes: binary values
/// without a value or over the threshold become BulkDataURIs, Pixel Data is added, group lengths are left out.
/// </remarks>
public static class SeriesMetadataBuilder
{
    /// <summary>Binary values at least this long are sent as BulkDataURI, shorter ones inline.</summary>
    public const int BulkDataThreshold = 1024;

    /// <summary>Instances per part below which one more connection is not worth its round trip.</summary>
    private const int MinInstancesPerPart = 64;

    private const int MaxParts = 4;

    private const string KeysSql = """
        SELECT i.instance_key
        FROM pacs_instances i
        JOIN pacs_series se ON se.series_key = i.series_key
        JOIN pacs_studies s ON s.study_key = i.study_key
        WHERE s.study_instance_uid = $1 AND se.series_instance_uid = $2
        ORDER BY i.instance_number NULLS LAST, i.instance_key
        """;

    // An instance deleted between the two queries is simply missing: the grain drops a build that overlapped a change.
    private const string HeadersSql = """
        SELECT i.sop_instance_uid, i.transfer_syntax_uid, i.header::text
        FROM unnest($1::bigint[]) WITH ORDINALITY AS k(instance_key, n)
        JOIN pacs_instances i ON i.instance_key = k.instance_key
        ORDER BY k.n
        """;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
    private static readonly JsonEncodedText VrName = JsonEncodedText.Encode("vr");
    private static readonly JsonEncodedText ValueName = JsonEncodedText.Encode("Value");
    private static readonly JsonEncodedText InlineBinaryName = JsonEncodedText.Encode("InlineBinary");
    private static readonly JsonEncodedText BulkDataUriName = JsonEncodedText.Encode("BulkDataURI");

    public static async Task<SeriesMetadata?> BuildAsync(NpgsqlDataSource dataSource, string studyInstanceUid, string seriesInstanceUid, CancellationToken cancellationToken)
    {
        var keys = new List<long>();
        await using (var command = dataSource.CreateCommand(KeysSql))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
            command.Parameters.Add(new NpgsqlParameter { Value = seriesInstanceUid });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) keys.Add(reader.GetInt64(0));
        }
        if (keys.Count == 0) return null;

        var partCount = Math.Clamp(keys.Count / MinInstancesPerPart, 1, MaxParts);
        var parts = new Task<Part>[partCount];
        for (var p = 0; p < partCount; p++)
        {
            var slice = keys.GetRange(keys.Count * p / partCount, keys.Count * (p + 1) / partCount - keys.Count * p / partCount).ToArray();
            parts[p] = Task.Run(() => ReadPartAsync(dataSource, studyInstanceUid, seriesInstanceUid, slice, cancellationToken), cancellationToken);
        }
        var done = await Task.WhenAll(parts).ConfigureAwait(false);

        var count = done.Sum(p => p.Uids.Count);
        if (count == 0) return null;
        var json = new byte[2 + done.Sum(p => p.Buffer.WrittenCount) + Math.Max(0, count - 1)];
        var uids = new List<string>(count);
        var offsets = new List<int>(count);
        var lengths = new List<int>(count);
        json[0] = (byte)'[';
        var position = 1;
        foreach (var part in done)
        {
            for (var i = 0; i < part.Uids.Count; i++)
            {
                if (uids.Count > 0) json[position++] = (byte)',';
                part.Buffer.WrittenSpan.Slice(part.Offsets[i], part.Lengths[i]).CopyTo(json.AsSpan(position));
                uids.Add(part.Uids[i]);
                offsets.Add(position);
                lengths.Add(part.Lengths[i]);
                position += part.Lengths[i];
            }
        }
        json[position] = (byte)']';
        return new SeriesMetadata
        {
            Version = Convert.ToHexStringLower(SHA256.HashData(json).AsSpan(0, 16)),
            Json = json,
            SopInstanceUids = uids,
            Offsets = offsets,
            Lengths = lengths,
        };
    }

    private sealed record Part(ArrayBufferWriter<byte> Buffer, List<string> Uids, List<int> Offsets, List<int> Lengths);

    private static async Task<Part> ReadPartAsync(NpgsqlDataSource dataSource, string study, string series, long[] keys, CancellationToken cancellationToken)
    {
        var part = new Part(new ArrayBufferWriter<byte>(keys.Length * 12 * 1024), new List<string>(keys.Length), new List<int>(keys.Length), new List<int>(keys.Length));
        var header = ArrayPool<byte>.Shared.Rent(64 * 1024);
        using var writer = new Utf8JsonWriter(part.Buffer, WriterOptions);
        try
        {
            await using var command = dataSource.CreateCommand(HeadersSql);
            command.Parameters.Add(new NpgsqlParameter { Value = keys });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var sop = reader.GetString(0);
                var syntax = reader.GetString(1);
                // The text's UTF-8 bytes as they came from the server: no UTF-16 string in between.
                int length;
                await using (var stream = reader.GetStream(2))
                {
                    length = checked((int)stream.Length);
                    if (header.Length < length)
                    {
                        ArrayPool<byte>.Shared.Return(header);
                        header = ArrayPool<byte>.Shared.Rent(length);
                    }
                    await stream.ReadExactlyAsync(header.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                }
                var start = part.Buffer.WrittenCount;
                writer.Reset(part.Buffer);
                WriteInstance(writer, study, series, sop, syntax, header.AsSpan(0, length));
                writer.Flush();
                part.Uids.Add(sop);
                part.Offsets.Add(start);
                part.Lengths.Add(part.Buffer.WrittenCount - start);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(header);
        }
        return part;
    }

    /// <summary>One instance's metadata object, from its stored header JSON (UTF-8).</summary>
    public static void WriteInstance(IBufferWriter<byte> output, string study, string series, string sop, string transferSyntaxUid, ReadOnlySpan<byte> headerJson)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        WriteInstance(writer, study, series, sop, transferSyntaxUid, headerJson);
    }

    private static void WriteInstance(Utf8JsonWriter writer, string study, string series, string sop, string transferSyntaxUid, ReadOnlySpan<byte> headerJson)
    {
        var context = new InstanceContext($"{SeriesMetadata.BaseUriMarker}/studies/{study}/series/{series}/instances/{sop}/bulkdata/", transferSyntaxUid);
        var reader = new Utf8JsonReader(headerJson, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("A stored header is not a JSON object.");
        WriteDataset(ref reader, headerJson, writer, context, topLevel: true);
    }

    /// <summary>Where the writer is: the URI prefix of the instance and the path of sequence items it is in.</summary>
    private sealed class InstanceContext(string uriPrefix, string transferSyntaxUid)
    {
        public string UriPrefix { get; } = uriPrefix;
        public string TransferSyntaxUid { get; } = transferSyntaxUid;
        public List<string> Path { get; } = [];
    }

    /// <summary>Copies a data set object; the reader is on its StartObject and is left on its EndObject.</summary>
    private static void WriteDataset(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Utf8JsonWriter writer, InstanceContext context, bool topLevel)
    {
        writer.WriteStartObject();
        var hasRows = false;
        var pixelDataPending = topLevel; // until Pixel Data is seen or written
        ushort bitsAllocated = 16;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = Unescaped(ref reader);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("A stored header element is not a JSON object.");
            // PS3.5 7.2: group lengths are retired and meaningless outside a byte stream; the writer leaves them out.
            if (key.Length == 8 && key.EndsWith("0000"u8))
            {
                reader.Skip();
                continue;
            }
            if (pixelDataPending)
            {
                var order = key.SequenceCompareTo("7FE00010"u8);
                if (order == 0) pixelDataPending = false;
                else if (order > 0 && hasRows)
                {
                    WritePixelData(writer, context, bitsAllocated);
                    pixelDataPending = false;
                }
            }
            if (topLevel && key.SequenceEqual("00280010"u8)) hasRows = true;
            var bits = WriteElement(ref reader, json, writer, key, context, wantFirstNumber: topLevel && key.SequenceEqual("00280100"u8));
            if (bits is { } b) bitsAllocated = b;
        }
        if (pixelDataPending && hasRows) WritePixelData(writer, context, bitsAllocated);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The index stopped reading at Pixel Data, so an image's header has none: it gets a URI (PS3.5 8.2: OB when
    /// encapsulated; OW or OB by Bits Allocated).
    /// </summary>
    private static void WritePixelData(Utf8JsonWriter writer, InstanceContext context, ushort bitsAllocated)
    {
        var syntax = DicomTransferSyntax.Resolve(context.TransferSyntaxUid);
        writer.WritePropertyName("7FE00010"u8);
        writer.WriteStartObject();
        writer.WriteString(VrName, syntax.IsEncapsulated || bitsAllocated <= 8 ? "OB"u8 : "OW"u8);
        WriteBulkDataUri(writer, context, "7FE00010"u8);
        writer.WriteEndObject();
    }

    /// <summary>Copies one element; the reader is on its StartObject and is left on its EndObject. Returns the first number of its Value when asked.</summary>
    private static ushort? WriteElement(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Utf8JsonWriter writer, scoped ReadOnlySpan<byte> key, InstanceContext context, bool wantFirstNumber)
    {
        ReadOnlySpan<byte> vr = default, inlineBinary = default, bulkDataUri = default;
        bool hasInline = false, hasUri = false;
        long valueStart = -1, valueEnd = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = Unescaped(ref reader);
            reader.Read();
            if (name.SequenceEqual("vr"u8)) vr = Unescaped(ref reader);
            else if (name.SequenceEqual("Value"u8))
            {
                valueStart = reader.TokenStartIndex;
                reader.Skip();
                valueEnd = reader.TokenStartIndex + 1;
            }
            else if (name.SequenceEqual("InlineBinary"u8))
            {
                inlineBinary = Unescaped(ref reader);
                hasInline = true;
            }
            else if (name.SequenceEqual("BulkDataURI"u8))
            {
                bulkDataUri = Unescaped(ref reader);
                hasUri = true;
            }
            else reader.Skip();
        }

        writer.WritePropertyName(key);
        writer.WriteStartObject();
        writer.WriteString(VrName, vr);
        ushort? firstNumber = null;
        if (valueStart >= 0)
        {
            // Token positions of a reader are relative to its own span: items are read with the Value's span.
            var valueJson = json[(int)valueStart..(int)valueEnd];
            var value = new Utf8JsonReader(valueJson, new JsonReaderOptions { MaxDepth = 256 });
            value.Read();
            if (vr.SequenceEqual("SQ"u8))
            {
                // PS3.18 F.2.5: an empty sequence has no "Value".
                var peek = value;
                if (peek.Read() && peek.TokenType != JsonTokenType.EndArray)
                {
                    writer.WritePropertyName(ValueName);
                    WriteItems(ref value, valueJson, writer, key, context);
                }
            }
            else
            {
                writer.WritePropertyName(ValueName);
                CopyValue(ref value, writer);
                if (wantFirstNumber)
                {
                    var first = new Utf8JsonReader(valueJson);
                    if (first.Read() && first.Read() && first.TokenType == JsonTokenType.Number && first.TryGetUInt16(out var n)) firstNumber = n;
                }
            }
        }
        else if (hasUri) writer.WriteString(BulkDataUriName, bulkDataUri);
        else if (hasInline)
        {
            // PS3.18 F.2.7: base64 of the value; 4 characters per 3 bytes, '=' padding at the end.
            var padding = inlineBinary.EndsWith("=="u8) ? 2 : inlineBinary.EndsWith("="u8) ? 1 : 0;
            if (IsBinary(vr) && inlineBinary.Length / 4 * 3 - padding >= BulkDataThreshold) WriteBulkDataUri(writer, context, key);
            else writer.WriteString(InlineBinaryName, inlineBinary);
        }
        else if (IsBinary(vr))
        {
            // A binary value the index left without one: at least 64 KiB, so never inline.
            WriteBulkDataUri(writer, context, key);
        }
        writer.WriteEndObject();
        return firstNumber;
    }

    private static void WriteItems(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Utf8JsonWriter writer, scoped ReadOnlySpan<byte> key, InstanceContext context)
    {
        writer.WriteStartArray();
        var index = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            context.Path.Add(Encoding.ASCII.GetString(key) + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            WriteDataset(ref reader, json, writer, context, topLevel: false);
            context.Path.RemoveAt(context.Path.Count - 1);
            index++;
        }
        writer.WriteEndArray();
    }

    /// <summary>The URI of a value: the instance's bulk data resource and the path "00540016/0/00181072" (PS3.18 examples).</summary>
    private static void WriteBulkDataUri(Utf8JsonWriter writer, InstanceContext context, ReadOnlySpan<byte> key)
    {
        var uri = new StringBuilder(context.UriPrefix, context.UriPrefix.Length + 64);
        foreach (var step in context.Path) uri.Append(step).Append('/');
        uri.Append(Encoding.ASCII.GetString(key));
        writer.WriteString(BulkDataUriName, uri.ToString());
    }

    /// <summary>Copies one JSON value (string, number, literal, object or array) token by token.</summary>
    private static void CopyValue(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        var depth = 0;
        do
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray: writer.WriteStartArray(); depth++; break;
                case JsonTokenType.EndArray: writer.WriteEndArray(); depth--; break;
                case JsonTokenType.StartObject: writer.WriteStartObject(); depth++; break;
                case JsonTokenType.EndObject: writer.WriteEndObject(); depth--; break;
                case JsonTokenType.PropertyName: writer.WritePropertyName(Unescaped(ref reader)); break;
                case JsonTokenType.String: writer.WriteStringValue(Unescaped(ref reader)); break;
                case JsonTokenType.Number: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
                case JsonTokenType.True: writer.WriteBooleanValue(true); break;
                case JsonTokenType.False: writer.WriteBooleanValue(false); break;
                case JsonTokenType.Null: writer.WriteNullValue(); break;
                default: throw new JsonException($"Unexpected {reader.TokenType} in a stored header.");
            }
        }
        while (depth > 0 && reader.Read());
    }

    /// <summary>The current string or property name without JSON escapes (the writer escapes again what it must).</summary>
    private static ReadOnlySpan<byte> Unescaped(scoped ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return reader.ValueSpan;
        var buffer = new byte[reader.ValueSpan.Length];
        return buffer.AsSpan(0, reader.CopyString(buffer));
    }

    /// <summary>VRs whose values are bytes (PS3.18 F.2.7: InlineBinary or BulkDataURI).</summary>
    private static bool IsBinary(ReadOnlySpan<byte> vr) =>
        vr.Length == 2 && (vr[0], vr[1]) is ((byte)'O', (byte)'B' or (byte)'W' or (byte)'D' or (byte)'F' or (byte)'L' or (byte)'V') or ((byte)'U', (byte)'N');
}
