using System.ComponentModel.DataAnnotations;

namespace Pacs.Gateway;

/// <summary>Settings of a gateway node (section "Pacs"; ./pacs passes them as --Pacs:Name=value).</summary>
public sealed class GatewayHostOptions
{
    public const string Section = "Pacs";

    /// <summary>Npgsql connection string of the archive database (Orleans tables and the index).</summary>
    [Required]
    public string Database { get; set; } = "";

    public string ClusterId { get; set; } = "clinton";
    public string ServiceId { get; set; } = "clinton-pacs";

    /// <summary>TCP port of the DICOM upper layer service (PS3.8); 0 disables it.</summary>
    [Range(0, 65535)]
    public int DicomPort { get; set; } = 11112;

    /// <summary>Address the DICOM port binds to.</summary>
    public string DicomBindAddress { get; set; } = "127.0.0.1";

    /// <summary>Our application entity title (PS3.5 AE: up to 16 characters).</summary>
    [Required, StringLength(16, MinimumLength = 1)]
    public string AeTitle { get; set; } = "CLINTON";

    /// <summary>Root folder of the filesystem blob store, shared by every gateway (ReadWriteMany in Kubernetes).</summary>
    [Required]
    public string StorageRoot { get; set; } = "";

    /// <summary>
    /// Write incoming blobs with O_DIRECT (bypassing the page cache) where the filesystem supports it; false forces
    /// buffered writes. Either way every blob is fsynced before it is acknowledged.
    /// </summary>
    public bool StorageDirectIo { get; set; } = true;

    /// <summary>
    /// Production mode (docs/security.md): the gateway refuses to start without a token signing key, and DICOM
    /// associations are accepted from registered nodes only. `./pacs up` runs with false.
    /// </summary>
    public bool Production { get; set; }
}
