using System.ComponentModel.DataAnnotations;

namespace Pacs.Gateway.Dimse;

/// <summary>DICOM upper layer settings of a gateway (section "Pacs:Dimse"); the port and AE title are in <see cref="GatewayHostOptions"/>.</summary>
public sealed class DimseOptions
{
    public const string Section = "Pacs:Dimse";

    /// <summary>Concurrent associations on this node; beyond, A-ASSOCIATE-RJ transient "local limit exceeded" (PS3.8 Table 9-21).</summary>
    [Range(1, 10_000)]
    public int MaxAssociations { get; set; } = 128;

    /// <summary>
    /// Concurrent connections from one IP address, negotiating or associated: one peer (or a flood of half-open
    /// connections from it) cannot take the slots every other modality needs.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxAssociationsPerAddress { get; set; } = 32;

    /// <summary>Concurrent associations of one calling AE title.</summary>
    [Range(1, 10_000)]
    public int MaxAssociationsPerCallingAe { get; set; } = 32;

    /// <summary>Refused connections answered with A-ASSOCIATE-RJ at once; the others are closed without an answer.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentRejections { get; set; } = 32;

    /// <summary>
    /// Who may associate: <c>Open</c> (any calling AE title), <c>Registered</c> (only AE titles in the node registry,
    /// each for its services: see <see cref="NodeAccess"/>). Unset: <c>Registered</c> in production mode
    /// (<see cref="GatewayHostOptions.Production"/>), else <c>Open</c> (what <c>./pacs up</c> runs).
    /// </summary>
    public CallingAePolicy? CallingAePolicy { get; set; }

    /// <summary>How long a gateway trusts what it read of a node from the registry (changes through this gateway's admin API apply at once).</summary>
    [Range(0, 3600)]
    public int NodeCacheSeconds { get; set; } = 5;

    /// <summary>
    /// Accept a user identity of type 1 (username only, PS3.7 D.3.3.7.1) as an identification without proof: the
    /// association acts as that account (which can only narrow what the node may do). Off: such an association is
    /// rejected, since a username proves nothing and would tell a prober which accounts exist.
    /// </summary>
    public bool AcceptUsernameWithoutPasscode { get; set; }

    /// <summary>Calling AE titles allowed to associate; empty: any (PS3.8 7.1.1.7 calling-AE-not-recognised otherwise).</summary>
    public List<string> CallingAeTitles { get; set; } = [];

    /// <summary>Maximum P-DATA-TF PDU length we announce and send.</summary>
    [Range(4096, 16 * 1024 * 1024)]
    public int MaxPduLength { get; set; } = 256 * 1024;

    /// <summary>PS3.8 9.1.5 ARTIM: a connection that has not sent its A-ASSOCIATE-RQ within this is closed.</summary>
    [Range(1, 3600)]
    public int ArtimTimeoutSeconds { get; set; } = 10;

    [Range(1, 86_400)]
    public int IdleTimeoutSeconds { get; set; } = 300;

    /// <summary>Idle timeout of an association that has sent no request since it was established.</summary>
    [Range(1, 86_400)]
    public int FirstRequestTimeoutSeconds { get; set; } = 30;

    [Range(1, 3600)]
    public int DimseTimeoutSeconds { get; set; } = 60;
}

/// <summary>See <see cref="DimseOptions.CallingAePolicy"/>.</summary>
public enum CallingAePolicy
{
    Open,
    Registered,
}
