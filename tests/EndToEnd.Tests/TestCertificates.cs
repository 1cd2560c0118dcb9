using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// A private CA and the certificates the TLS tests need, written as PEM files: the server's (127.0.0.1 and localhost),
/// client certificates issued by the CA to AE titles, and one from a CA nobody trusts.
/// </summary>
public sealed class TestCertificates
{
    private readonly X509Certificate2 _ca;

    public TestCertificates(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        _ca = CreateCa("Clinton PACS test CA");
        File.WriteAllText(CaPath, _ca.ExportCertificatePem());
        WritePair("server", Issue(_ca, "127.0.0.1", server: true));
    }

    public string Directory { get; }
    public string CaPath => Path.Combine(Directory, "ca.crt");
    public string ServerCertificatePath => Path.Combine(Directory, "server.crt");
    public string ServerKeyPath => Path.Combine(Directory, "server.key");
    public X509Certificate2 Ca => _ca;

    /// <summary>A client certificate whose subject CN is <paramref name="aeTitle"/>; returns (key file, certificate file).</summary>
    public (string Key, string Certificate) IssueClient(string name, string aeTitle, bool trusted = true)
    {
        var issuer = trusted ? _ca : CreateCa("Somebody else's CA");
        return WritePair(name, Issue(issuer, aeTitle, server: false));
    }

    /// <summary>A new server certificate with another subject, written over the server files (a rotation).</summary>
    public X509Certificate2 RotateServer(string commonName)
    {
        var next = Issue(_ca, commonName, server: true);
        WritePair("server", next);
        return next;
    }

    private (string Key, string Certificate) WritePair(string name, X509Certificate2 certificate)
    {
        var key = Path.Combine(Directory, name + ".key");
        var crt = Path.Combine(Directory, name + ".crt");
        using var rsa = certificate.GetRSAPrivateKey()!;
        // Key first, certificate last: a reader that sees the new certificate also finds its key.
        File.WriteAllText(key + ".tmp", rsa.ExportPkcs8PrivateKeyPem());
        File.Move(key + ".tmp", key, overwrite: true);
        File.WriteAllText(crt + ".tmp", certificate.ExportCertificatePem());
        File.Move(crt + ".tmp", crt, overwrite: true);
        return (key, crt);
    }

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 Issue(X509Certificate2 issuer, string commonName, bool server)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        return signed.CopyWithPrivateKey(key);
    }
}
