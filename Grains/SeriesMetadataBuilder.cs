using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.Json;

namespace Pacs.Grains;

/// <summary>
/// Builds a series' WADO-RS metadata (PS3.18 10.4.1.2.3, Annex F) from the headers in the index, without reading a
/// blob. The index keeps each header as DICOM JSON without bulk data: values of 64 KiB or more were written without a
/// value, and Pixel Data was never parsed. Both get a BulkDataURI (PS3.18 F.2.6) of the form
/// <c>{base}/studies/{s}/series/{se}/instances/{i}/bulkdata/{tag}[/{item}/{tag}...]</c>, as does any binary value
/// of <see cref="BulkDataThreshold"/> bytes or more.
/// </summary>
public static class SeriesMetadataBuilder
{
    /// <summary>Binary values at least this long are sent as BulkDataURI, shorter ones inline.</summary>
    public const int BulkDataThreshold = 1024;

    private const string Sql = """
        SELECT i.sop_instance_uid, i.transfer_syntax_uid, i.header::text
        FROM pacs_instances i
        JOIN pacs_series se ON se.series_key = i.series_key
        JOIN pacs_studies s ON s.study_key = i.study_key
        WHERE s.study_instance_uid = $1 AND se.series_instance_uid = $2
        ORDER BY i.instance_number NULLS LAST, i.instance_key
        """;

    public static async Task<SeriesMetadata?> BuildAsync(NpgsqlDataSource dataSource, string studyInstanceUid, string seriesInstanceUid, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var uids = new List<string>();
        var offsets = new List<int>();
        var lengths = new List<int>();
        await using (var command = dataSource.CreateCommand(Sql))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
            command.Parameters.Add(new NpgsqlParameter { Value = seriesInstanceUid });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            buffer.Write("["u8);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (uids.Count > 0) buffer.Write(","u8);
                var sop = reader.GetString(0);
                var start = buffer.WrittenCount;
                WriteInstance(buffer, studyInstanceUid, seriesInstanceUid, sop, reader.GetString(1), reader.GetString(2));
                uids.Add(sop);
                offsets.Add(start);
                lengths.Add(buffer.WrittenCount - start);
            }
            buffer.Write("]"u8);
        }

        if (uids.Count == 0) return null;
        var json = buffer.WrittenSpan.ToArray();
        return new SeriesMetadata
        {
            Version = Convert.ToHexStringLower(SHA256.HashData(json).AsSpan(0, 16)),
            Json = json,
            SopInstanceUids = uids,
            Offsets = offsets,
            Lengths = lengths,
        };
    }

    /// <summary>One instance's metadata object, from its stored header JSON.</summary>
    public static void WriteInstance(IBufferWriter<byte> output, string study, string series, string sop, string transferSyntaxUid, string headerJson)
    {
        var dataset = DicomJsonReader.Read(System.Text.Encoding.UTF8.GetBytes(headerJson));
        MarkOmittedValues(dataset);
        var syntax = DicomTransferSyntax.Resolve(transferSyntaxUid);
        if (dataset.Contains(DicomTag.Rows) && !dataset.Contains(DicomTag.PixelData))
        {
            // The index stopped reading at Pixel Data (PS3.5 8.2: OB when encapsulated; OW or OB by Bits Allocated).
            var vr = syntax.IsEncapsulated || (dataset.GetUInt16(DicomTag.BitsAllocated) ?? 16) <= 8 ? DicomVR.OB : DicomVR.OW;
            dataset.Set(new DicomElement(DicomTag.PixelData, vr, new BulkDataReference(0, 0)));
        }

        var prefix = $"{SeriesMetadata.BaseUriMarker}/studies/{study}/series/{series}/instances/{sop}/bulkdata/";
        var options = new DicomJsonOptions
        {
            BulkDataThreshold = BulkDataThreshold,
            BulkDataUriBuilder = context => prefix + context.FormatPath(),
        };
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        DicomJsonWriter.Write(writer, dataset, options);
    }

    /// <summary>
    /// Binary values the index left without a value (they were at least 64 KiB) become references, so the writer
    /// gives them a BulkDataURI instead of writing them as empty.
    /// </summary>
    private static void MarkOmittedValues(DicomDataset dataset)
    {
        List<DicomElement>? marked = null;
        foreach (var e in dataset)
        {
            if (e.Sequence is { } sq)
            {
                foreach (var item in sq.Items) MarkOmittedValues(item);
                continue;
            }
            if (e.Payload is null && e.Value.IsEmpty && IsBinary(e.VR))
                (marked ??= []).Add(new DicomElement(e.Tag, e.VR, new BulkDataReference(0, 0)));
        }
        if (marked is null) return;
        foreach (var m in marked) dataset.Set(m);
    }

    private static bool IsBinary(DicomVR vr) =>
        vr == DicomVR.OB || vr == DicomVR.OW || vr == DicomVR.OD || vr == DicomVR.OF || vr == DicomVR.OL || vr == DicomVR.OV || vr == DicomVR.UN;
}
