using Npgsql;
using NpgsqlTypes;

namespace Pacs.Index;

/// <summary>
/// The access groups of studies (pacs_studies.access_groups, 0126_access_groups.sql) as admins see and change them:
/// every group with its counts, and one study's groups. Ingest only ever adds groups (StudyIndex); this is the one
/// place that replaces them. QIDO, WADO, DIMSE and the worklist read the column in their own SQL, so a change applies
/// to the next request.
/// </summary>
public sealed class StudyAccessGroups(NpgsqlDataSource dataSource)
{
    /// <summary>Every group that a study or an account carries ("*" aside), with both counts, in one query.</summary>
    public async Task<IReadOnlyList<AccessGroupCount>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT g, count(*) FILTER (WHERE k = 's'), count(*) FILTER (WHERE k = 'a')
            FROM (SELECT unnest(access_groups) AS g, 's' AS k FROM pacs_studies
                  UNION ALL
                  SELECT unnest(access_groups), 'a' FROM pacs_accounts) AS x
            WHERE g <> '*'
            GROUP BY g
            ORDER BY g
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<AccessGroupCount>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new AccessGroupCount(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return list;
    }

    /// <summary>The study's groups; null when the index holds no such study.</summary>
    public async Task<IReadOnlyList<string>?> GetAsync(string studyInstanceUid, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT access_groups FROM pacs_studies WHERE study_instance_uid = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetFieldValue<string[]>(0) : null;
    }

    /// <summary>Replaces the study's groups (sorted, without duplicates); the groups it had before, or null when there is no such study.</summary>
    public async Task<IReadOnlyList<string>?> SetAsync(string studyInstanceUid, IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        var sorted = groups.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        // The old value from a locking subselect: RETURNING alone would show the new one.
        await using var command = dataSource.CreateCommand("""
            UPDATE pacs_studies AS s SET access_groups = $2
            FROM (SELECT study_key, access_groups AS old FROM pacs_studies WHERE study_instance_uid = $1 FOR UPDATE) AS o
            WHERE s.study_key = o.study_key
            RETURNING o.old
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
        command.Parameters.Add(new NpgsqlParameter { Value = sorted, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetFieldValue<string[]>(0) : null;
    }
}
