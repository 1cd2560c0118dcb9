using Npgsql;

namespace Pacs.Index.Reports;

/// <summary>
/// Whether each signed report version's PDF is in the archive yet (pacs_report_versions.archived_at and
/// archive_claimed_until, migration 0148): the only code that reads or writes those two columns. A gateway claims a
/// version before storing its copy and marks it archived after; the sweep claims those still missing.
/// </summary>
public sealed class ReportArchiveCopies(NpgsqlDataSource dataSource)
{
    /// <summary>Claims one signed version for <paramref name="hold"/>; false when it is archived or another gateway holds it.</summary>
    public async Task<bool> ClaimAsync(string studyInstanceUid, int version, TimeSpan hold, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE pacs_report_versions SET archive_claimed_until = now() + $3
            WHERE study_instance_uid = $1 AND version = $2 AND signed_at IS NOT NULL AND archived_at IS NULL
              AND (archive_claimed_until IS NULL OR archive_claimed_until < now())
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
        command.Parameters.Add(new NpgsqlParameter { Value = version });
        command.Parameters.Add(new NpgsqlParameter { Value = hold });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>Claims up to <paramref name="limit"/> signed versions without an archived copy, oldest signature first.</summary>
    public async Task<IReadOnlyList<(string StudyInstanceUid, int Version)>> ClaimMissingAsync(int limit, TimeSpan hold, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE pacs_report_versions v SET archive_claimed_until = now() + $2
            FROM (SELECT study_instance_uid, version FROM pacs_report_versions
                  WHERE signed_at IS NOT NULL AND archived_at IS NULL
                    AND (archive_claimed_until IS NULL OR archive_claimed_until < now())
                  ORDER BY signed_at LIMIT $1 FOR UPDATE SKIP LOCKED) c
            WHERE v.study_instance_uid = c.study_instance_uid AND v.version = c.version
            RETURNING v.study_instance_uid, v.version
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        command.Parameters.Add(new NpgsqlParameter { Value = hold });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var claimed = new List<(string, int)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            claimed.Add((reader.GetString(0), reader.GetInt32(1)));
        }

        return claimed;
    }

    /// <summary>The copy is in the archive: never stored again.</summary>
    public Task MarkArchivedAsync(string studyInstanceUid, int version, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE pacs_report_versions SET archived_at = now(), archive_claimed_until = NULL WHERE study_instance_uid = $1 AND version = $2",
            studyInstanceUid, version, cancellationToken);

    /// <summary>Gives a claimed version back after a failed attempt: the next sweep tries again.</summary>
    public Task ReleaseAsync(string studyInstanceUid, int version, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE pacs_report_versions SET archive_claimed_until = NULL WHERE study_instance_uid = $1 AND version = $2 AND archived_at IS NULL",
            studyInstanceUid, version, cancellationToken);

    /// <summary>Whether the index holds an instance with this SOP Instance UID (a copy stored before its version was marked).</summary>
    public async Task<bool> InstanceExistsAsync(string sopInstanceUid, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1 FROM pacs_instances WHERE sop_instance_uid = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sopInstanceUid });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    private async Task ExecuteAsync(string sql, string studyInstanceUid, int version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = studyInstanceUid });
        command.Parameters.Add(new NpgsqlParameter { Value = version });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
