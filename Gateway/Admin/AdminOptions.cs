namespace Pacs.Gateway.Admin;

/// <summary>
/// Section "Pacs": the configured nodes (Pacs:Nodes:0:AeTitle, :Host, :Port, :Description), upserted into the
/// registry at start-up, and the admin API bearer token (Pacs:AdminToken, from the environment or a secret store,
/// never the repository). No token: the admin API is disabled.
/// </summary>
public sealed class AdminOptions
{
    public const string Section = "Pacs";

    public List<ConfiguredNode> Nodes { get; set; } = [];

    public string? AdminToken { get; set; }
}

public sealed class ConfiguredNode
{
    public string AeTitle { get; set; } = "";
    public string Host { get; set; } = "";
    public int Port { get; set; }
    public string Description { get; set; } = "";
}
