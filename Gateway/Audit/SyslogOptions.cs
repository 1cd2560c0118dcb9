namespace Pacs.Gateway.Audit;

/// <summary>
/// Pacs:Audit:Syslog: forwarding of every audit row to an audit repository as RFC 5424 syslog over TCP, with TLS
/// (RFC 5425; PS3.15 A.6 requires it) or without (a collector on the same host). No <see cref="Host"/>: off.
/// </summary>
public sealed class SyslogOptions : System.ComponentModel.DataAnnotations.IValidatableObject
{
    public const string Section = "Pacs:Audit:Syslog";

    /// <summary>The audit repository's host name or address; empty: no forwarding.</summary>
    public string Host { get; set; } = "";

    /// <summary>Its port (6514: syslog over TLS, RFC 5425 section 4.1).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 65535)]
    public int Port { get; set; } = 6514;

    /// <summary>TLS 1.2 or 1.3 (RFC 5425); false: plain TCP with the same octet-counting framing (RFC 6587 3.4.1).</summary>
    public bool Tls { get; set; } = true;

    /// <summary>A PEM file of the CA certificates the repository's certificate must chain to; empty: the system's trust store.</summary>
    public string CaFile { get; set; } = "";

    /// <summary>
    /// The gateway's client certificate for mutual TLS (RFC 5425 4.2.1: the repository may authenticate the sender
    /// by its certificate): a PEM file (the certificate, then any intermediate CA certificates) or a PKCS#12 file (name
    /// ending in .pfx or .p12, the key inside). Empty: no client certificate is offered. Re-read when the file changes
    /// (a rotated certificate is used from the next connection on).
    /// </summary>
    public string ClientCertificateFile { get; set; } = "";

    /// <summary>The PEM file of the client certificate's private key (PKCS#8, PKCS#1 or SEC 1); empty: the key is in <see cref="ClientCertificateFile"/>.</summary>
    public string ClientKeyFile { get; set; } = "";

    /// <summary>
    /// The PKCS#12 file's password, or the encrypted PEM key's (ENCRYPTED PRIVATE KEY). A secret: from the environment
    /// (<c>Pacs__Audit__Syslog__ClientCertificatePassword</c>) or a mounted secret, never from a file in the repository.
    /// </summary>
    public string ClientCertificatePassword { get; set; } = "";

    /// <summary>Messages waiting for the repository; past it the oldest are dropped (counted, logged at Warning).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>The longest wait between reconnection attempts (the wait doubles from one second up to it).</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A client certificate is only offered over TLS, and a key file needs the certificate it belongs to.</summary>
    public IEnumerable<System.ComponentModel.DataAnnotations.ValidationResult> Validate(System.ComponentModel.DataAnnotations.ValidationContext validationContext)
    {
        if (ClientCertificateFile.Length > 0 && !Tls)
        {
            yield return new("A client certificate needs TLS (Pacs:Audit:Syslog:Tls=true).", [nameof(ClientCertificateFile), nameof(Tls)]);
        }

        if (ClientKeyFile.Length > 0 && ClientCertificateFile.Length == 0)
        {
            yield return new("ClientKeyFile is set without ClientCertificateFile.", [nameof(ClientKeyFile)]);
        }

        if (ClientKeyFile.Length > 0 && SyslogClientCertificate.IsPkcs12(ClientCertificateFile))
        {
            yield return new("A PKCS#12 client certificate holds its key: ClientKeyFile must be empty.", [nameof(ClientKeyFile)]);
        }
    }
}
