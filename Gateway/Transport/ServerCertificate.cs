using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace Pacs.Gateway.Transport;

/// <summary>
/// The server certificate of HTTPS and DICOM TLS, loaded from PEM (certificate chain + key) or PKCS#12 and re-read
/// when its files change: a handshake checks the files' identity (resolved path, size, time) at most every
/// <see cref="TlsOptions.ReloadCheckSeconds"/>, which also follows a Kubernetes secret mount, whose files are
/// symbolic links swapped atomically on rotation (a file watcher misses that). A rotation that cannot be read (half
/// written) keeps the previous certificate and is tried again at the next check.
/// </summary>
internal sealed partial class ServerCertificate
{
    private readonly TlsOptions _options;
    private readonly ILogger<ServerCertificate> _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private Loaded? _current;
    private long _nextCheck;

    public ServerCertificate(IOptions<TlsOptions> options, ILogger<ServerCertificate> logger, TimeProvider? time = null)
    {
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        if (_options.Enabled)
        {
            // Fail at start-up, not at the first handshake, when the configured files are unusable.
            _current = Load();
            _nextCheck = _time.GetTimestamp() + CheckInterval;
        }
    }

    public bool Enabled => _options.Enabled;

    private long CheckInterval => (long)(_options.ReloadCheckSeconds * (double)_time.TimestampFrequency);

    /// <summary>The certificate to present now (reloaded first when its files changed).</summary>
    public X509Certificate2 Current
    {
        get
        {
            if (_current is null)
            {
                throw new InvalidOperationException("No TLS certificate is configured (Pacs:Tls:CertificatePath).");
            }

            if (_time.GetTimestamp() < Volatile.Read(ref _nextCheck))
            {
                return _current.Certificate;
            }

            lock (_lock)
            {
                if (_time.GetTimestamp() < _nextCheck)
                {
                    return _current.Certificate;
                }

                _nextCheck = _time.GetTimestamp() + CheckInterval;
                if (Stamp() == _current.Stamp)
                {
                    return _current.Certificate;
                }

                try
                {
                    var next = Load();
                    // The old certificate may still be in use by a handshake in progress: it is left to the GC.
                    _current = next;
                    LogReloaded(_logger, next.Certificate.Subject, next.Certificate.NotAfter);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
                {
                    LogReloadFailed(_logger, ex);
                }
                return _current.Certificate;
            }
        }
    }

    private sealed record Loaded(X509Certificate2 Certificate, string Stamp);

    private Loaded Load()
    {
        var stamp = Stamp();
        var path = _options.CertificatePath;
        using var loaded = CertificateFiles.Load(path, _options.KeyPath, _options.Password);
        // SslStream on Linux wants the key in a form OpenSSL can hand over; a PKCS#12 round trip gives that.
        var certificate = X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.EphemeralKeySet);
        return new Loaded(certificate, stamp);
    }

    /// <summary>The intermediate certificates of a PEM chain file, sent with the leaf so that peers can build the chain.</summary>
    public X509Certificate2Collection Chain() =>
        _options.Enabled ? CertificateFiles.Intermediates(_options.CertificatePath) : [];

    private string Stamp() => CertificateFiles.Stamp(_options.CertificatePath, _options.KeyPath);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "TLS certificate reloaded: {Subject}, valid until {NotAfter:u}")]
    private static partial void LogReloaded(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "TLS certificate files changed but could not be read; keeping the previous certificate")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
