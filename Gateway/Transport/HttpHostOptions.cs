namespace Pacs.Gateway.Transport;

/// <summary>Which names the gateway answers HTTP for, and the URL it gives out for itself (section "Pacs:Http").</summary>
public sealed class HttpHostOptions
{
    public const string Section = "Pacs:Http";

    /// <summary>
    /// Host header values accepted (host names or addresses, with or without port; "*.example.org" for subdomains).
    /// Any other Host is answered 400, which closes DNS rebinding. Empty: the loopback names only (localhost,
    /// 127.0.0.1, [::1]) plus the host of <see cref="PublicBaseUrl"/>; "*" turns the check off.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>
    /// The absolute URL clients reach this archive at (e.g. https://pacs.example.org behind a proxy): RetrieveURL and
    /// BulkDataURI values are built from it. Empty: from the request, whose Host has passed the allow-list.
    /// </summary>
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>
    /// Reverse proxies (addresses or CIDR networks, e.g. the Kubernetes Ingress controller's pod network) whose
    /// X-Forwarded-For and X-Forwarded-Proto are believed: the client address of audit records, login throttling and
    /// sessions is then the one the proxy saw, and the scheme the client used. Empty: the headers are ignored, since any
    /// client could forge them.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];
}
