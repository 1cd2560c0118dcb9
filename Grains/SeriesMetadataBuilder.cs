using System.Buffers;
using System.Security.Cryptography;
using Npgsql;
using Pacs.Dicom.Json;

namespace Pacs.Grains;

/// <summary>
/// Builds a series' WADO-RS metadata (PS3.18 10.4.1.2.3, Annex F) from the headers in the index, without reading a
/// blob: each stored header goes through <see cref="DicomJsonMetadataRewriter"/>, with BulkDataURIs of the form
/// <c>{base}/studies/{s}/series/{se}/instances/{i}/bulkdata/{tag}[/{item}/{tag}...]</c>.
/// </summary>
/// <remarks>
/// A cold build is the latency a viewer waits for when it opens a series nobody opened since the study grain was
/// activated (the DICOMweb issue: under 100 ms for 500 instances). Its cost is PostgreSQL turning 500 jsonb headers
/// into text (about 70 µs each) and the rewrite into metadata, so the headers are read in parts over several
/// connections, each part rewritten as its rows arrive.
/// </remarks>
public static class SeriesMetadataBuilder
{
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

    public static async Task<SeriesMetadata?> BuildAsync(NpgsqlDataSource dataSource, string studyInstanceUid, string seriesInstanceUid, CancellationToken cancellationToken)
    {
        var keys = new List<long>();
        await using (var command = dataSource.CreateCommand(KeysSql))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
            command.Parameters.Add(new NpgsqlParameter { Value = seriesInstanceUid });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                keys.Add(reader.GetInt64(0));
            }
        }
        if (keys.Count == 0)
        {
            return null;
        }

        var partCount = Math.Clamp(keys.Count / MinInstancesPerPart, 1, MaxParts);
        var parts = new Task<Part>[partCount];
        for (var p = 0; p < partCount; p++)
        {
            var slice = keys.GetRange(keys.Count * p / partCount, keys.Count * (p + 1) / partCount - keys.Count * p / partCount).ToArray();
            parts[p] = Task.Run(() => ReadPartAsync(dataSource, studyInstanceUid, seriesInstanceUid, slice, cancellationToken), cancellationToken);
        }
        var done = await Task.WhenAll(parts).ConfigureAwait(false);

        var count = done.Sum(p => p.Uids.Count);
        if (count == 0)
        {
            return null;
        }

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
                if (uids.Count > 0)
                {
                    json[position++] = (byte)',';
                }

                part.Buffer.Written.Slice(part.Offsets[i], part.Lengths[i]).CopyTo(json.AsSpan(position));
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

    private sealed record Part(JsonOutputBuffer Buffer, List<string> Uids, List<int> Offsets, List<int> Lengths);

    private static async Task<Part> ReadPartAsync(NpgsqlDataSource dataSource, string study, string series, long[] keys, CancellationToken cancellationToken)
    {
        var part = new Part(new JsonOutputBuffer(keys.Length * 12 * 1024), new List<string>(keys.Length), new List<int>(keys.Length), new List<int>(keys.Length));
        var header = ArrayPool<byte>.Shared.Rent(64 * 1024);
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
                DicomJsonMetadataRewriter.WriteInstance(part.Buffer, header.AsSpan(0, length),
                    BulkDataPath.InstancePrefix(SeriesMetadata.BaseUriMarker, study, series, sop), syntax);
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
}
