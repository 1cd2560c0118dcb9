namespace Pacs.Gateway.Audit;

/// <summary>
/// Pacs:Audit:Syslog: forwarding of every audit row to an audit repository as RFC 5424 syslog over TCP, with TLS
/// (RFC 5425; PS3.15 A.6 requires it) or without (a collector on the same host). No <see cref="Host"/>: off.
/// </summary>
public sealed class SyslogOptions
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

    /// <summary>Messages waiting for the repository; past it the oldest are dropped (counted, logged at Warning).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>The longest wait between reconnection attempts (the wait doubles from one second up to it).</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);
}
