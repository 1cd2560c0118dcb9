namespace Pacs.Index;

/// <summary>
/// A DICOM node known to the archive, as kept in pacs_nodes: a C-MOVE destination (PS3.4 C.4.2.2.1) and, when the
/// gateways admit registered calling AE titles only, a peer allowed to associate for its <see cref="Services"/>.
/// </summary>
public sealed record DicomNode(string AeTitle, string Host, int Port, string Description = "")
{
    /// <summary>What the node may ask of the archive over DIMSE: <see cref="NodeService"/> values.</summary>
    public IReadOnlyList<string> Services { get; init; } = NodeService.All;

    /// <summary>
    /// The node's associations must carry a user identity (PS3.7 D.3.3.7, username and passcode) that the accounts
    /// accept; each then acts as that account (role and access groups) within the node's services.
    /// </summary>
    public bool RequireUserIdentity { get; init; }

    public bool Allows(string service) => Services.Contains(service, StringComparer.Ordinal);
}

/// <summary>The DIMSE services a registered node may use (column pacs_nodes.services).</summary>
public static class NodeService
{
    /// <summary>C-STORE to the archive.</summary>
    public const string Store = "store";

    /// <summary>C-FIND.</summary>
    public const string Find = "find";

    /// <summary>C-MOVE and C-GET.</summary>
    public const string Retrieve = "retrieve";

    public static readonly IReadOnlyList<string> All = [Store, Find, Retrieve];
}
