using Npgsql;
using NpgsqlTypes;

namespace Pacs.Index.Reports;

/// <summary>The SQL of pacs_report_templates (0145_report_templates.sql): the only code that reads or writes it.</summary>
public sealed class ReportTemplateStore(NpgsqlDataSource dataSource)
{
    /// <summary>The admins' templates of one language, retired ones included (they hide a shipped template).</summary>
    public async Task<IReadOnlyList<ReportTemplate>> ListAsync(string language, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT template_id, modality, body_part, name, keywords, technique, comparison, findings, impression, retired
            FROM pacs_report_templates WHERE language = $1 ORDER BY template_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = language });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var templates = new List<ReportTemplate>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            templates.Add(new ReportTemplate
            {
                Id = reader.GetString(0),
                Modality = reader.GetString(1),
                BodyPart = reader.GetString(2),
                Name = reader.GetString(3),
                Keywords = reader.GetFieldValue<string[]>(4),
                Technique = reader.GetString(5),
                Comparison = reader.GetString(6),
                Findings = reader.GetString(7),
                Impression = reader.GetString(8),
                Retired = reader.GetBoolean(9),
            });
        }

        return templates;
    }

    /// <summary>Adds or replaces the template of this id and language (offered again if it was retired).</summary>
    public async Task SaveAsync(string language, ReportTemplate template, string actor, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO pacs_report_templates (template_id, language, modality, body_part, name, keywords, technique, comparison,
                findings, impression, retired, updated_by, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false, $11, now())
            ON CONFLICT (template_id, language) DO UPDATE SET modality = excluded.modality, body_part = excluded.body_part,
                name = excluded.name, keywords = excluded.keywords, technique = excluded.technique, comparison = excluded.comparison,
                findings = excluded.findings, impression = excluded.impression, retired = false, updated_by = excluded.updated_by,
                updated_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = template.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = language });
        command.Parameters.Add(new NpgsqlParameter { Value = template.Modality });
        command.Parameters.Add(new NpgsqlParameter { Value = template.BodyPart });
        command.Parameters.Add(new NpgsqlParameter { Value = template.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = template.Keywords.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = template.Technique });
        command.Parameters.Add(new NpgsqlParameter { Value = template.Comparison });
        command.Parameters.Add(new NpgsqlParameter { Value = template.Findings });
        command.Parameters.Add(new NpgsqlParameter { Value = template.Impression });
        command.Parameters.Add(new NpgsqlParameter { Value = actor });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Retires the template of this id and language (shipped or added): it is no longer offered.</summary>
    public async Task RetireAsync(string id, string language, string actor, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO pacs_report_templates (template_id, language, retired, updated_by, updated_at) VALUES ($1, $2, true, $3, now())
            ON CONFLICT (template_id, language) DO UPDATE SET retired = true, updated_by = excluded.updated_by, updated_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = language });
        command.Parameters.Add(new NpgsqlParameter { Value = actor });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
