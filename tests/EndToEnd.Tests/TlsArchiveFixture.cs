using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// An archive whose gateway listens on HTTP, HTTPS, DICOM and DICOM TLS at once, with a private CA's certificates:
/// client certificates optional on DICOM TLS and bound to registered nodes, HTTP redirected to HTTPS, a public base
/// URL configured, the certificate files checked for rotation every second and a short handshake timeout.
/// </summary>
public sealed class TlsArchiveFixture : ArchiveFixture
{
    public const string TlsNodeAe = "TLSNODE";
    public const string PublicBaseUrl = "https://pacs.example.org";
    public const int HandshakeTimeoutSeconds = 5;

    private TestCertificates? _certificates;

    public int HttpsPort { get; } = ChildProcess.FreePort();
    public int DicomTlsPort { get; } = ChildProcess.FreePort();
    public TestCertificates Certificates => _certificates!;

    /// <summary>An HTTPS client, logged in as the admin, that trusts only the fixture's CA and records the server certificate it was shown.</summary>
    public HttpClient Https { get; private set; } = null!;

    public string? LastServerSubject { get; private set; }

    public override async Task InitializeAsync()
    {
        _certificates = new TestCertificates(Path.Combine(WorkDirectory, "tls"));
        var ca = Certificates.Ca;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    LastServerSubject = certificate.Subject;
                    using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    // The chain to our CA only: the Host tests send other names than the certificate's on purpose (dcmtk's
                    // +cf checks the DICOM TLS side's name and chain in the DicomTls tests).
                    return chain.Build(leaf);
                },
            },
        };
        // Logged in as the admin over HTTPS (plain HTTP redirects the API to HTTPS here).
        Https = new HttpClient(new AuthenticatingHandler(() => $"https://127.0.0.1:{HttpsPort}", "admin", AdminPassword, handler)) { Timeout = TimeSpan.FromSeconds(30), BaseAddress = new Uri($"https://127.0.0.1:{HttpsPort}") };
        await base.InitializeAsync();
    }

    protected override string GatewayUrls => $"http://127.0.0.1:{HttpPort};https://127.0.0.1:{HttpsPort}";

    protected override IEnumerable<string> ExtraGatewayArguments() =>
    [
        "--Pacs:Tls:CertificatePath", Certificates.ServerCertificatePath,
        "--Pacs:Tls:KeyPath", Certificates.ServerKeyPath,
        "--Pacs:Tls:DicomPort", DicomTlsPort.ToString(CultureInfo.InvariantCulture),
        "--Pacs:Tls:DicomClientCertificates", "Optional",
        "--Pacs:Tls:ClientCaPath", Certificates.CaPath,
        "--Pacs:Tls:ReloadCheckSeconds", "1",
        "--Pacs:Tls:HandshakeTimeoutSeconds", HandshakeTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
        "--Pacs:Tls:RedirectHttp", "true",
        "--Pacs:Http:PublicBaseUrl", PublicBaseUrl,
        "--Pacs:Nodes:1:AeTitle", TlsNodeAe,
        "--Pacs:Nodes:1:Host", "127.0.0.1",
        "--Pacs:Nodes:1:Port", "104",
    ];

    public override async Task DisposeAsync()
    {
        Https?.Dispose();
        await base.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class TlsArchiveCollection : ICollectionFixture<TlsArchiveFixture>
{
    public const string Name = "tls-archive";
}
