using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using Npgsql;
using Pacs.Dicom;
using Pacs.Dicom.Json;
using Pacs.Dicom.Query;
using Pacs.Grains;

namespace Pacs.Index.Read;

/// <summary>
/// Runs <see cref="IndexQuery"/> statements against the index and reads their rows. A database that cannot answer is
/// reported as <see cref="ArchiveIndexException"/>, as the grains report it (DICOMweb answers 503).
/// </summary>
public sealed class IndexReader(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Matches streamed in index order; the connection is held while the caller consumes them. With
    /// <paramref name="accessGroups"/>, only studies of those groups (<see cref="IndexQuery.Build"/>).
    /// </summary>
    public IAsyncEnumerable<IndexMatch> FindAsync(DicomQuery query, CancellationToken cancellationToken) => FindAsync(query, null, cancellationToken);

    /// <inheritdoc cref="FindAsync(DicomQuery, CancellationToken)"/>
    public async IAsyncEnumerable<IndexMatch> FindAsync(DicomQuery query, IReadOnlyList<string>? accessGroups, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var plan = IndexQuery.Build(query, IndexQueryShape.Candidates, accessGroups);
        var postFilter = plan.PostFilter;
        var skip = plan.PagedInSql ? 0 : query.Offset;
        var remaining = plan.PagedInSql ? int.MaxValue : query.Limit ?? int.MaxValue;
        if (remaining <= 0)
        {
            yield break;
        }

        // One buffer for every row's projected JSON (the data set read from it owns copies of its values).
        var json = plan.Projection is { } p ? new ArrayBufferWriter<byte>(64 * (p.Count + 1)) : null;
        await using var command = Command(plan.Sql, plan.Parameters);
        await using var reader = await ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
        while (await ReadAsync(reader, cancellationToken).ConfigureAwait(false))
        {
            var match = ReadMatch(query.Level, reader, plan, json);
            if (postFilter is not null && !InMemoryMatcher.Matches(postFilter, match.Candidate))
            {
                continue;
            }

            if (skip > 0)
            {
                skip--;
                continue;
            }
            yield return match;
            if (--remaining == 0)
            {
                yield break;
            }
        }
    }

    /// <summary>Every instance at or under the entities the query selects (C-MOVE/C-GET identifiers, PS3.4 C.4.2.2.1).</summary>
    public Task<IReadOnlyList<IndexedInstance>> GetInstancesAsync(DicomQuery query, CancellationToken cancellationToken) => GetInstancesAsync(query, null, cancellationToken);

    /// <inheritdoc cref="GetInstancesAsync(DicomQuery, CancellationToken)"/>
    /// <param name="accessGroups">Only instances of studies of these groups; null: every study (<see cref="IndexQuery.Build"/>).</param>
    public async Task<IReadOnlyList<IndexedInstance>> GetInstancesAsync(DicomQuery query, IReadOnlyList<string>? accessGroups, CancellationToken cancellationToken)
    {
        var plan = IndexQuery.Build(query, IndexQueryShape.Instances, accessGroups);
        var postFilter = plan.PostFilter;
        var list = new List<IndexedInstance>();
        await using var command = Command(plan.Sql, plan.Parameters);
        await using var reader = await ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
        while (await ReadAsync(reader, cancellationToken).ConfigureAwait(false))
        {
            if (postFilter is not null && !InMemoryMatcher.Matches(postFilter, ReadJson(reader, IndexQuery.JsonOrdinal)))
            {
                continue;
            }

            list.Add(ReadInstance(reader));
        }
        return list;
    }

    /// <summary>
    /// Whether the study may be shown to an account of <paramref name="accessGroups"/>: it exists and shares one of
    /// them. A study outside them is answered as if it did not exist (404), so that its existence does not leak.
    /// </summary>
    public async Task<bool> StudyVisibleAsync(string study, IReadOnlyList<string> accessGroups, CancellationToken cancellationToken)
    {
        await using var command = Command("select 1 from pacs_studies where study_instance_uid = @study and access_groups && @groups",
            [new NpgsqlParameter("study", study), new NpgsqlParameter("groups", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = accessGroups.ToArray() }]);
        await using var reader = await ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The instance a series (or, without <paramref name="series"/>, a study) thumbnail shows; null when there is none.</summary>
    public async Task<IndexedInstance?> GetRepresentativeAsync(string study, string? series, CancellationToken cancellationToken)
    {
        var (sql, parameters) = IndexQuery.Representative(study, series);
        await using var command = Command(sql, parameters);
        await using var reader = await ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(reader, cancellationToken).ConfigureAwait(false) ? ReadInstance(reader) : null;
    }

    // Columns 2 to 7 of the Instances shape.
    private static IndexedInstance ReadInstance(NpgsqlDataReader reader) => new(
        StudyInstanceUid: reader.GetString(6), SeriesInstanceUid: reader.GetString(7),
        SopInstanceUid: reader.GetString(3), SopClassUid: reader.GetString(2),
        TransferSyntaxUid: reader.GetString(4), BlobKey: reader.GetString(5));

    private NpgsqlCommand Command(string sql, IEnumerable<NpgsqlParameter> parameters)
    {
        var command = dataSource.CreateCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(p);
        }

        return command;
    }

    private static Task<NpgsqlDataReader> ExecuteAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        Guarded(command.ExecuteReaderAsync(cancellationToken));

    private static Task<bool> ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken) => Guarded(reader.ReadAsync(cancellationToken));

    private static async Task<T> Guarded<T>(Task<T> operation)
    {
        try
        {
            return await operation.ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new ArchiveIndexException($"Index unavailable: {e.Message}", e);
        }
    }

    private static DicomDataset ReadJson(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return new DicomDataset();
        }

        // jsonb's text as the UTF-8 PostgreSQL sent it (after the binary format's version byte): no detour through a
        // UTF-16 string and back.
        return DicomJsonReader.Read(reader.GetFieldValue<byte[]>(ordinal));
    }

    /// <summary>
    /// The projected attributes of a Candidates row (<see cref="IndexQuery.Projection"/>) as one data set: their JSON
    /// values put together as one DICOM JSON object and read as the merged documents were, so that values, VRs and
    /// the Unicode character set come out the same.
    /// </summary>
    private static DicomDataset ReadProjection(NpgsqlDataReader reader, IReadOnlyList<DicomTag> projection, int first, ArrayBufferWriter<byte> json)
    {
        json.ResetWrittenCount();
        Span<byte> key = stackalloc byte[12];
        key[0] = (byte)'"';
        key[9] = (byte)'"';
        key[10] = (byte)':';
        var any = false;
        json.Write("{"u8);
        for (var i = 0; i < projection.Count; i++)
        {
            if (reader.IsDBNull(first + i))
            {
                continue;
            }

            if (any)
            {
                json.Write(","u8);
            }

            any = true;
            projection[i].Value.TryFormat(key[1..9], out _, "X8", CultureInfo.InvariantCulture);
            json.Write(key[..11]);
            json.Write(reader.GetFieldValue<byte[]>(first + i)); // the value's UTF-8 JSON as sent (see ReadJson)
        }

        json.Write("}"u8);
        return any ? DicomJsonReader.Read(json.WrittenSpan) : new DicomDataset();
    }

    private static IndexMatch ReadMatch(QueryLevel level, NpgsqlDataReader reader, IndexQuery plan, ArrayBufferWriter<byte>? json)
    {
        var candidate = plan.Projection is { } projection && json is not null
            ? ReadProjection(reader, projection, plan.ProjectionOrdinal, json)
            : ReadJson(reader, IndexQuery.JsonOrdinal);
        switch (level)
        {
            case QueryLevel.Patient:
                // PS3.4 C.6.1.1.2 optional derived keys.
                SetCount(candidate, DicomTag.NumberOfPatientRelatedStudies, reader.GetInt64(2));
                SetCount(candidate, DicomTag.NumberOfPatientRelatedSeries, reader.GetInt64(3));
                SetCount(candidate, DicomTag.NumberOfPatientRelatedInstances, Convert.ToInt64(reader.GetValue(4), CultureInfo.InvariantCulture));
                return new IndexMatch(level, candidate, null, null, null);
            case QueryLevel.Study:
                // PS3.4 C.6.2.1.2 (and C.6.1.1.3): derived study attributes, kept current by the index writer.
                var modalities = reader.GetFieldValue<string[]>(2);
                var sopClasses = reader.GetFieldValue<string[]>(3);
                if (modalities.Length > 0)
                {
                    candidate.SetStrings(DicomTag.ModalitiesInStudy, DicomVR.CS, modalities);
                }

                if (sopClasses.Length > 0)
                {
                    candidate.SetStrings(DicomTag.SOPClassesInStudy, DicomVR.UI, sopClasses);
                }

                SetCount(candidate, DicomTag.NumberOfStudyRelatedSeries, reader.GetInt32(4));
                SetCount(candidate, DicomTag.NumberOfStudyRelatedInstances, reader.GetInt32(5));
                var studyUid = reader.GetString(6);
                EnsureUid(candidate, DicomTag.StudyInstanceUID, studyUid);
                return new IndexMatch(level, candidate, studyUid, null, null);
            case QueryLevel.Series:
                SetCount(candidate, DicomTag.NumberOfSeriesRelatedInstances, reader.GetInt32(2));
                var sUid = reader.GetString(3);
                var seUid = reader.GetString(4);
                EnsureUid(candidate, DicomTag.StudyInstanceUID, sUid);
                EnsureUid(candidate, DicomTag.SeriesInstanceUID, seUid);
                return new IndexMatch(level, candidate, sUid, seUid, null);
            default:
                var sop = reader.GetString(3);
                var st = reader.GetString(6);
                var se = reader.GetString(7);
                EnsureUid(candidate, DicomTag.StudyInstanceUID, st);
                EnsureUid(candidate, DicomTag.SeriesInstanceUID, se);
                EnsureUid(candidate, DicomTag.SOPInstanceUID, sop);
                EnsureUid(candidate, DicomTag.SOPClassUID, reader.GetString(2));
                return new IndexMatch(level, candidate, st, se, sop);
        }
    }

    private static void SetCount(DicomDataset ds, DicomTag tag, long value) =>
        ds.SetString(tag, DicomVR.IS, value.ToString(CultureInfo.InvariantCulture));

    // The unique keys come from the index columns, so a response carries them even if the JSON lacks them.
    private static void EnsureUid(DicomDataset ds, DicomTag tag, string uid)
    {
        if (!ds.TryGetElement(tag, out var e) || e.Length == 0)
        {
            ds.SetString(tag, DicomVR.UI, uid);
        }
    }
}
