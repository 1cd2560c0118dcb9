using Npgsql;

namespace Pacs.Index.Reports;

/// <summary>The SQL of pacs_report_macros (0171_report_macros.sql): the only code that reads or writes it.</summary>
public sealed class ReportMacroStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "macro_id, owner, name, language, expansion, updated_by, updated_at";

    /// <summary>PostgreSQL's unique_violation (Appendix A, class 23).</summary>
    private const string UniqueViolation = "23505";

    /// <summary>
    /// The macros <paramref name="owner"/> may use: their own and the shared ones (owner null: the shared ones only),
    /// of one language or all; by name, the own one before a shared one of the same name.
    /// </summary>
    public async Task<IReadOnlyList<ReportMacro>> ListAsync(string? owner, string? language, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM pacs_report_macros
            WHERE (owner IS NULL OR owner = $1) AND ($2::text IS NULL OR language = $2)
            ORDER BY language, name, owner NULLS LAST
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)owner ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)language ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var macros = new List<ReportMacro>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            macros.Add(Read(reader));
        }

        return macros;
    }

    public async Task<ReportMacro?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM pacs_report_macros WHERE macro_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>How many macros <paramref name="owner"/> has (null: the shared ones).</summary>
    public async Task<int> CountAsync(string? owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM pacs_report_macros WHERE owner IS NOT DISTINCT FROM $1");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)owner ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Adds a macro; the stored macro, or null when its owner has one of that name and language already.</summary>
    public async Task<ReportMacro?> AddAsync(ReportMacro macro, string actor, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO pacs_report_macros (owner, name, language, expansion, updated_by) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)macro.Owner ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = macro.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = macro.Language });
        command.Parameters.Add(new NpgsqlParameter { Value = macro.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = actor });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>Changes the name, language and text of the macro <paramref name="macro"/>.Id, if its owner is <paramref name="macro"/>.Owner.</summary>
    public async Task<ReportMacroWrite> UpdateAsync(ReportMacro macro, string actor, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE pacs_report_macros SET name = $3, language = $4, expansion = $5, updated_by = $6, updated_at = now()
            WHERE macro_id = $1 AND owner IS NOT DISTINCT FROM $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = macro.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)macro.Owner ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = macro.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = macro.Language });
        command.Parameters.Add(new NpgsqlParameter { Value = macro.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = actor });
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1 ? ReportMacroWrite.Done : ReportMacroWrite.NotFound;
        }
        catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
        {
            // Renamed onto another macro of the same owner and language: the unique index refuses it.
            return ReportMacroWrite.NameTaken;
        }
    }

    /// <summary>Deletes the macro <paramref name="id"/> if its owner is <paramref name="owner"/> (null: a shared one); false when there is none.</summary>
    public async Task<bool> DeleteAsync(long id, string? owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM pacs_report_macros WHERE macro_id = $1 AND owner IS NOT DISTINCT FROM $2");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)owner ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private static ReportMacro Read(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        Owner = reader.IsDBNull(1) ? null : reader.GetString(1),
        Name = reader.GetString(2),
        Language = reader.GetString(3),
        Text = reader.GetString(4),
        UpdatedBy = reader.GetString(5),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(6),
    };
}
