namespace Pacs.Gateway.Admin;

/// <summary>
/// Section "Pacs": the configured nodes (Pacs:Nodes:0:AeTitle, :Host, :Port, :Description), upserted into the
/// registry at start-up. The admin API itself is open to admin accounts (docs/security.md).
/// </summary>
public sealed class AdminOptions
{
    public const string Section = "Pacs";

    public List<ConfiguredNode> Nodes { get; set; } = [];
}

public sealed class ConfiguredNode
{
    public string AeTitle { get; set; } = "";
    public string Host { get; set; } = "";
    public int Port { get; set; }
    public string Description { get; set; } = "";

    /// <summary>Pacs:Nodes:N:Services:0.. ("store", "find", "retrieve"); none configured: all three.</summary>
    public List<string> Services { get; set; } = [];

    /// <summary>Pacs:Nodes:N:RequireUserIdentity: the node's associations must authenticate an account (PS3.7 D.3.3.7).</summary>
    public bool RequireUserIdentity { get; set; }
}
