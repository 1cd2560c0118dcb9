using Npgsql;

namespace Pacs.Index;

/// <summary>The node registry in pacs_nodes: shared by every gateway, managed by configuration and the admin API.</summary>
public sealed class NodeRegistry(NpgsqlDataSource dataSource)
{
    public async Task<DicomNode?> FindAsync(string aeTitle, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select ae_title, host, port, description, services, require_user_identity from pacs_nodes where ae_title = @ae");
        command.Parameters.AddWithValue("ae", aeTitle);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<DicomNode>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select ae_title, host, port, description, services, require_user_identity from pacs_nodes order by ae_title");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<DicomNode>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <summary>Inserts or replaces; true when the node is new.</summary>
    public async Task<bool> UpsertAsync(DicomNode node, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            insert into pacs_nodes (ae_title, host, port, description, services, require_user_identity)
            values (@ae, @host, @port, @description, @services, @requireUserIdentity)
            on conflict (ae_title) do update set host = excluded.host, port = excluded.port, description = excluded.description,
                services = excluded.services, require_user_identity = excluded.require_user_identity, updated_at = now()
            returning (xmax = 0)
            """);
        command.Parameters.AddWithValue("ae", node.AeTitle);
        command.Parameters.AddWithValue("host", node.Host);
        command.Parameters.AddWithValue("port", node.Port);
        command.Parameters.AddWithValue("description", node.Description);
        command.Parameters.AddWithValue("services", node.Services.Distinct(StringComparer.Ordinal).ToArray());
        command.Parameters.AddWithValue("requireUserIdentity", node.RequireUserIdentity);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<bool> DeleteAsync(string aeTitle, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("delete from pacs_nodes where ae_title = @ae");
        command.Parameters.AddWithValue("ae", aeTitle);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    private static DicomNode Read(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3)) 
    {
        Services = r.GetFieldValue<string[]>(4),
        RequireUserIdentity = r.GetBoolean(5),
    };

    /// <summary>The reason a node is not acceptable, or null. AE titles per PS3.5 Table 6.2-1 (AE: 1-16 characters, no backslash or control characters, not only spaces).</summary>
    public static string? Validate(DicomNode node)
    {
        if (!IsValidAeTitle(node.AeTitle))
        {
            return "AE title must be 1 to 16 characters without backslash or control characters";
        }

        if (string.IsNullOrWhiteSpace(node.Host) || node.Host.Length > 255)
        {
            return "host is required";
        }

        if (node.Port is < 1 or > 65535)
        {
            return "port must be between 1 and 65535";
        }

        if (node.Description.Length > 1024)
        {
            return "description is too long";
        }

        if (node.Services.Any(s => !NodeService.All.Contains(s, StringComparer.Ordinal)))
        {
            return "services must be among \"store\", \"find\" and \"retrieve\"";
        }

        return null;
    }

    public static bool IsValidAeTitle(string? ae) =>
        ae is { Length: >= 1 and <= 16 } && ae.Trim().Length > 0 && ae == ae.Trim() && !ae.Any(c => c == '\\' || char.IsControl(c) || c > 0x7E);
}
