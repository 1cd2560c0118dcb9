using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Pacs.Gateway.Audit;

/// <summary>
/// The gateway's client certificate for syslog over TLS (<see cref="SyslogOptions.ClientCertificateFile"/>, RFC 5425
/// 4.2.1): read at start, so that a missing or unreadable file, a wrong password or a certificate without its key stops
/// the gateway with the reason; read again before a connection when a file changed, so that a rotated certificate (a
/// renewed Kubernetes secret) is offered from the next connection on. Used by the forwarder's one loop only.
/// </summary>
internal sealed class SyslogClientCertificate : IDisposable
{
    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly string _password;
    private Loaded _current;
    private (DateTime Certificate, DateTime Key) _writeTimes;

    private sealed record Loaded(X509Certificate2 Leaf, X509Certificate2Collection Intermediates, SslStreamCertificateContext Context)
    {
        public void Release()
        {
            Leaf.Dispose();
            foreach (var certificate in Intermediates)
            {
                certificate.Dispose();
            }
        }
    }

    public SyslogClientCertificate(SyslogOptions options)
    {
        _certificateFile = options.ClientCertificateFile;
        _keyFile = options.ClientKeyFile;
        _password = options.ClientCertificatePassword;
        _writeTimes = WriteTimes();
        _current = Load();
    }

    /// <summary>The certificate offered now.</summary>
    public X509Certificate2 Certificate => _current.Leaf;

    /// <summary>The key file, or the PKCS#12 file, when group or others may read it (Unix): worth a warning.</summary>
    public string? KeyReadableByOthers()
    {
        var path = _keyFile.Length > 0 ? _keyFile : _certificateFile;
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        return (File.GetUnixFileMode(path) & Others) != 0 ? path : null;
    }

    /// <summary>
    /// The certificate and chain for the next handshake, read again first when a file changed since the last read.
    /// Files that cannot be used (half-written during a rotation) leave the previous certificate in use; the reason
    /// is returned for the log, and they are tried again before the next connection.
    /// </summary>
    public SslStreamCertificateContext Next(out Exception? reloadError)
    {
        reloadError = null;
        var times = WriteTimes();
        if (times != _writeTimes)
        {
            try
            {
                var loaded = Load();
                _current.Release();
                _current = loaded;
                _writeTimes = times;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
            {
                reloadError = ex;
            }
        }

        return _current.Context;
    }

    public static bool IsPkcs12(string path) =>
        path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);

    private (DateTime, DateTime) WriteTimes() =>
        (File.GetLastWriteTimeUtc(_certificateFile), _keyFile.Length > 0 ? File.GetLastWriteTimeUtc(_keyFile) : default);

    private Loaded Load()
    {
        X509Certificate2 leaf;
        var intermediates = new X509Certificate2Collection();
        if (IsPkcs12(_certificateFile))
        {
            var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(_certificateFile, _password.Length > 0 ? _password : null);
            leaf = all.FirstOrDefault(c => c.HasPrivateKey)
                ?? throw new InvalidOperationException($"{_certificateFile} holds no certificate with its private key.");
            foreach (var certificate in all)
            {
                if (!ReferenceEquals(certificate, leaf))
                {
                    intermediates.Add(certificate);
                }
            }
        }
        else
        {
            var keyFile = _keyFile.Length > 0 ? _keyFile : null;
            // The first certificate of the file with the key; the ones after it are its chain (sent to the repository).
            leaf = _password.Length > 0
                ? X509Certificate2.CreateFromEncryptedPemFile(_certificateFile, _password, keyFile)
                : X509Certificate2.CreateFromPemFile(_certificateFile, keyFile);
            var all = new X509Certificate2Collection();
            all.ImportFromPemFile(_certificateFile);
            foreach (var certificate in all)
            {
                if (certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    certificate.Dispose();
                }
                else
                {
                    intermediates.Add(certificate);
                }
            }
        }

        // offline: the chain is what the files hold; no fetching of issuers from the network.
        return new Loaded(leaf, intermediates, SslStreamCertificateContext.Create(leaf, intermediates, offline: true));
    }

    public void Dispose() => _current.Release();
}
