using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Transport;
using PdfSharp.Pdf.Signatures;

namespace Pacs.Gateway.Reports;

/// <summary>
/// Signs report PDFs with the clinic's certificate (<see cref="ReportSigningOptions"/>): PDFsharp's
/// <see cref="DigitalSignatureHandler"/> reserves the signature dictionary (/Filter /Adobe.PPKLite, /SubFilter
/// /adbe.pkcs7.detached, ISO 32000-1 12.8.3.3) and hands over the bytes of its /ByteRange; this class answers with a
/// detached CMS SignedData (RFC 5652) over them: SHA-256, the signing time as a signed attribute, the signer's
/// certificate and any intermediates of its PEM chain. The certificate files are read at start (a bad configuration
/// stops the gateway) and again when they change, so a rotated Kubernetes secret takes effect without a restart.
/// </summary>
internal sealed partial class ReportSigner
{
    private static readonly Oid Sha256 = new("2.16.840.1.101.3.4.2.1");

    private readonly ReportSigningOptions _options;
    private readonly ILogger<ReportSigner> _logger;
    private readonly Lock _lock = new();
    private Loaded? _current;

    public ReportSigner(IOptions<ReportSigningOptions> options, ILogger<ReportSigner> logger)
    {
        _options = options.Value;
        _logger = logger;
        if (_options.Enabled)
        {
            _current = Load();
            LogLoaded(_logger, _current.Certificate.Subject, _current.Certificate.NotAfter);
        }
        else
        {
            LogNotConfigured(_logger);
        }
    }

    public bool Enabled => _options.Enabled;

    /// <summary>The signature options of a report PDF (an invisible signature: the PDF's signature block says who signed).</summary>
    public DigitalSignatureOptions Options(string reason) => new()
    {
        Reason = reason,
        Location = _options.Location,
        AppName = "Clinton PACS",
    };

    /// <summary>A signer for one PDF whose CMS names <paramref name="signingTime"/>; null when no certificate is configured.</summary>
    public IDigitalSigner? For(DateTimeOffset signingTime) => Current() is { } current ? new PdfSigner(current, signingTime) : null;

    /// <summary>The certificate now, reloaded first when its files changed; a change that cannot be read keeps the old one.</summary>
    private Loaded? Current()
    {
        if (_current is null)
        {
            return null;
        }

        lock (_lock)
        {
            if (CertificateFiles.Stamp(_options.CertificatePath, _options.KeyPath, _options.PasswordFile) == _current.Stamp)
            {
                return _current;
            }

            try
            {
                _current = Load();
                LogLoaded(_logger, _current.Certificate.Subject, _current.Certificate.NotAfter);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                LogReloadFailed(_logger, ex);
            }

            return _current;
        }
    }

    private Loaded Load()
    {
        var stamp = CertificateFiles.Stamp(_options.CertificatePath, _options.KeyPath, _options.PasswordFile);
        var password = string.IsNullOrWhiteSpace(_options.PasswordFile) ? null : File.ReadAllText(_options.PasswordFile).TrimEnd('\r', '\n');
        var certificate = CertificateFiles.Load(_options.CertificatePath, _options.KeyPath, password);
        var loaded = new Loaded(certificate, CertificateFiles.Intermediates(_options.CertificatePath), stamp);
        // The space PDFsharp reserves for /Contents: one signature's size now, with room for a larger encoding
        // (ECDSA's DER integers vary by a few bytes; the unused rest is zero padding inside the hex string).
        loaded.SignatureSize = Sign(loaded, new byte[32], DateTimeOffset.UtcNow).Length + 64;
        return loaded;
    }

    private static byte[] Sign(Loaded loaded, byte[] content, DateTimeOffset signingTime)
    {
        var cms = new SignedCms(new ContentInfo(content), detached: true);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, loaded.Certificate)
        {
            DigestAlgorithm = Sha256,
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        signer.Certificates.AddRange(loaded.Intermediates);
        signer.SignedAttributes.Add(new Pkcs9SigningTime(signingTime.UtcDateTime));
        cms.ComputeSignature(signer, silent: true);
        return cms.Encode();
    }

    private sealed record Loaded(X509Certificate2 Certificate, X509Certificate2Collection Intermediates, string Stamp)
    {
        public int SignatureSize { get; set; }
    }

    /// <summary>PDFsharp's signer interface over one loaded certificate.</summary>
    private sealed class PdfSigner(Loaded loaded, DateTimeOffset signingTime) : IDigitalSigner
    {
        public string CertificateName => loaded.Certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);

        public Task<int> GetSignatureSizeAsync() => Task.FromResult(loaded.SignatureSize);

        public Task<byte[]> GetSignatureAsync(Stream stream)
        {
            // PDFsharp's RangedStream (the two byte ranges around /Contents) reads them in one call of the whole
            // length; it throws on CanSeek and Seek, so neither CopyTo nor a partial read is asked of it.
            var content = new byte[stream.Length];
            var read = stream.Read(content, 0, content.Length);
            if (read != content.Length)
            {
                throw new InvalidOperationException($"The signed byte ranges gave {read} of {content.Length} bytes.");
            }

            return Task.FromResult(Sign(loaded, content, signingTime));
        }
    }

    [LoggerMessage(EventId = 1451, Level = LogLevel.Information, Message = "Report signing certificate: {Subject}, valid until {NotAfter:u}")]
    private static partial void LogLoaded(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 1452, Level = LogLevel.Warning, Message = "No report signing certificate (Pacs:Reports:Signing:CertificatePath): report PDFs are not signed")]
    private static partial void LogNotConfigured(ILogger logger);

    [LoggerMessage(EventId = 1453, Level = LogLevel.Warning, Message = "The report signing certificate files changed but could not be read; keeping the previous certificate")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
