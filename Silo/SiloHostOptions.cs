using System.ComponentModel.DataAnnotations;

namespace Pacs.Silo;

/// <summary>The silo host's settings, section <c>Pacs</c> (appsettings, PACS__* environment, or command line).</summary>
public sealed class SiloHostOptions
{
    public const string Section = "Pacs";

    /// <summary>Npgsql connection string of the archive database (cluster membership, grain state, reminders, index).</summary>
    [Required]
    public string Database { get; set; } = "";

    [Required]
    public string ClusterId { get; set; } = "clinton";

    /// <summary>Stable across deployments: grain state and reminders are keyed by it.</summary>
    [Required]
    public string ServiceId { get; set; } = "clinton-pacs";

    /// <summary>Silo name in the membership table; defaults to <c>silo-{SiloPort}</c>.</summary>
    public string? SiloName { get; set; }

    /// <summary>Address other silos and clients use to reach this one. Loopback by default.</summary>
    [Required]
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Port of the health endpoints (HTTP on loopback) unless <c>--urls</c> says otherwise.</summary>
    [Range(1, 65535)]
    public int HttpPort { get; set; } = 8700;

    /// <summary>The deployment's data folder (./pacs passes it): where a generated first-run admin password is written (0600).</summary>
    public string? DataDirectory { get; set; }
}
