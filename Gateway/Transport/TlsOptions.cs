using System.ComponentModel.DataAnnotations;

namespace Pacs.Gateway.Transport;

/// <summary>
/// TLS of the gateway's listeners (section "Pacs:Tls"): one server certificate for HTTPS and DICOM TLS. Without a
/// certificate there is no HTTPS and no DICOM TLS port. The files may be a mounted Kubernetes secret (tls.crt/tls.key):
/// they are re-read when they change.
/// </summary>
public sealed class TlsOptions
{
    public const string Section = "Pacs:Tls";

    /// <summary>PEM certificate (chain) file, or a PKCS#12 file (.pfx/.p12); empty: TLS off.</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>PEM private key file; empty when the key is in <see cref="CertificatePath"/> (PEM or PKCS#12).</summary>
    public string KeyPath { get; set; } = "";

    /// <summary>Password of the PKCS#12 file or of an encrypted PEM key.</summary>
    public string Password { get; set; } = "";

    /// <summary>How often at most the certificate files are checked for a change (a rotated secret).</summary>
    [Range(1, 3600)]
    public int ReloadCheckSeconds { get; set; } = 10;

    /// <summary>DICOM TLS port (PS3.15 B.1; 2762 is the registered "dicom-tls" port); 0 disables it. Only with a certificate.</summary>
    [Range(0, 65535)]
    public int DicomPort { get; set; } = Pacs.Dicom.Network.DicomTls.RegisteredPort;

    /// <summary>A TLS handshake on the DICOM TLS port must finish within this, or the connection is dropped.</summary>
    [Range(1, 300)]
    public int HandshakeTimeoutSeconds { get; set; } = 10;

    /// <summary>Client certificates on the DICOM TLS port: None, Optional (checked when sent) or Required.</summary>
    public ClientCertificateMode DicomClientCertificates { get; set; } = ClientCertificateMode.None;

    /// <summary>PEM file of the CA certificate(s) client certificates must chain to; required unless the mode is None.</summary>
    public string ClientCaPath { get; set; } = "";

    /// <summary>Answer plain-HTTP requests with a redirect to HTTPS (health probes excepted).</summary>
    public bool RedirectHttp { get; set; }

    /// <summary>Strict-Transport-Security max-age sent on HTTPS responses; 0 sends no HSTS.</summary>
    [Range(0, 63_072_000)]
    public int HstsMaxAgeSeconds { get; set; } = 31_536_000;

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);
}

/// <summary>Whether the DICOM TLS port asks for a client certificate, and whether it insists on one.</summary>
public enum ClientCertificateMode
{
    None,
    Optional,
    Required,
}
