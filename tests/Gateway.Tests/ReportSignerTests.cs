using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Reports;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;

namespace Pacs.Gateway.Tests;

/// <summary>
/// The report PDF's digital signature (PDFsharp's DigitalSignatureHandler with our SignedCms signer), checked by
/// poppler's pdfsig: valid as written, invalid after one byte of the signed range changes; PEM and PKCS#12
/// certificates; a rotated certificate takes effect; drafts and an unconfigured gateway sign nothing.
/// </summary>
public sealed class ReportSignerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pacs-signing-" + Guid.NewGuid().ToString("N")[..8]);

    private static readonly ReportStudy Study = new()
    {
        StudyInstanceUid = "1.2.826.0.1.3680043.8.498.2",
        PatientName = "Иванов^Пётр",
        PatientId = "P-2",
        PatientBirthDate = "19700131",
        StudyDate = new DateOnly(2024, 1, 15),
        StudyDescription = "КТ головы",
        Modalities = ["CT"],
    };

    public ReportSignerTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ReportVersion Version(string status) => new()
    {
        StudyInstanceUid = Study.StudyInstanceUid,
        Version = 1,
        Status = status,
        Content = new ReportContent { Language = "ru", Findings = "Очаговых изменений не выявлено.", Impression = "Норма." },
        Author = "doc",
        Signer = status == ReportStatus.Draft ? null : "doc",
        SignedAt = status == ReportStatus.Draft ? null : new DateTimeOffset(2024, 1, 16, 10, 42, 0, TimeSpan.Zero),
    };

    [Fact]
    public async Task RenderAsync_FinalWithPemCertificate_PdfsigValid_AndInvalidAfterOneByteOfTheSignedRangeChanges()
    {
        var (cert, key) = WritePem("Clinic Signing Test", "pem");
        var signer = Signer(new ReportSigningOptions { CertificatePath = cert, KeyPath = key });

        var pdf = await ReportPdf.RenderAsync(Study, Version(ReportStatus.Final), "Д-р Смирнова", "ru", new ReportOptions(), signer);

        var valid = await PdfsigAsync(pdf);
        Assert.Contains("Signer Certificate Common Name: Clinic Signing Test", valid);
        Assert.Contains("Signature Validation: Signature is Valid.", valid);
        Assert.Contains("Signature Type: adbe.pkcs7.detached", valid);
        Assert.Contains("Signed Ranges: [0 - ", valid);
        Assert.Contains("Total document signed", valid);

        // One byte outside the /Contents hex string (so inside the signed byte ranges): the PDF still parses, the
        // digest no longer matches.
        var at = IndexOf(pdf, "Clinton PACS)"); // the document information's /Creator
        Assert.True(at > 0);
        var tampered = (byte[])pdf.Clone();
        tampered[at + 1] ^= 0x01; // "Cmint..."
        var invalid = await PdfsigAsync(tampered);
        Assert.Contains("Signer Certificate Common Name: Clinic Signing Test", invalid);
        Assert.DoesNotContain("Signature is Valid.", invalid);
        Assert.Contains("Signature Validation: Digest Mismatch.", invalid);
    }

    [Fact]
    public async Task RenderAsync_Pkcs12WithPasswordFile_PdfsigValid()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = SelfSigned("Clinic PKCS12", rsa);
        var pfx = Path.Combine(_directory, "signing.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "s3cret-Pw"));
        var passwordFile = Path.Combine(_directory, "password");
        await File.WriteAllTextAsync(passwordFile, "s3cret-Pw\n");
        var signer = Signer(new ReportSigningOptions { CertificatePath = pfx, PasswordFile = passwordFile });

        var pdf = await ReportPdf.RenderAsync(Study, Version(ReportStatus.Amended), "Dr House", "en", new ReportOptions(), signer);

        var output = await PdfsigAsync(pdf);
        Assert.Contains("Signer Certificate Common Name: Clinic PKCS12", output);
        Assert.Contains("Signature Validation: Signature is Valid.", output);
    }

    [Fact]
    public async Task RenderAsync_CertificateFilesReplaced_NextPdfSignedWithTheNewCertificate()
    {
        var (cert, key) = WritePem("Clinic Before", "rotating");
        var signer = Signer(new ReportSigningOptions { CertificatePath = cert, KeyPath = key });
        Assert.Contains("Common Name: Clinic Before", await PdfsigAsync(await ReportPdf.RenderAsync(Study, Version(ReportStatus.Final), "Dr", "en", new ReportOptions(), signer)));

        WritePem("Clinic After", "rotating");

        var output = await PdfsigAsync(await ReportPdf.RenderAsync(Study, Version(ReportStatus.Final), "Dr", "en", new ReportOptions(), signer));
        Assert.Contains("Common Name: Clinic After", output);
        Assert.Contains("Signature is Valid.", output);
    }

    [Fact]
    public async Task RenderAsync_DraftOrNoCertificate_NotSigned()
    {
        var (cert, key) = WritePem("Clinic Draft", "draft");
        var configured = Signer(new ReportSigningOptions { CertificatePath = cert, KeyPath = key });
        var unconfigured = Signer(new ReportSigningOptions());

        var draft = await ReportPdf.RenderAsync(Study, Version(ReportStatus.Draft), "", "en", new ReportOptions(), configured);
        var unsigned = await ReportPdf.RenderAsync(Study, Version(ReportStatus.Final), "Dr", "en", new ReportOptions(), unconfigured);

        Assert.False(unconfigured.Enabled);
        Assert.True(IndexOf(draft, "%PDF-") == 0 && IndexOf(draft, "/adbe.pkcs7.detached") < 0);
        Assert.True(IndexOf(unsigned, "%PDF-") == 0 && IndexOf(unsigned, "/adbe.pkcs7.detached") < 0);
        Assert.Contains("does not contain any signatures", await PdfsigAsync(unsigned));
    }

    [Fact]
    public void Constructor_CertificateWithoutKey_Throws()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = SelfSigned("No Key", rsa);
        var path = Path.Combine(_directory, "nokey.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem());

        Assert.ThrowsAny<CryptographicException>(() => Signer(new ReportSigningOptions { CertificatePath = path }));
    }

    private static ReportSigner Signer(ReportSigningOptions options) => new(Options.Create(options), NullLogger<ReportSigner>.Instance);

    private (string Certificate, string Key) WritePem(string commonName, string name)
    {
        using var rsa = RSA.Create(2048);
        using var certificate = SelfSigned(commonName, rsa);
        var cert = Path.Combine(_directory, name + ".crt");
        var key = Path.Combine(_directory, name + ".key");
        // Key first, certificate last, each replaced whole: a reader that sees the new certificate finds its key.
        File.WriteAllText(key + ".tmp", rsa.ExportPkcs8PrivateKeyPem());
        File.Move(key + ".tmp", key, overwrite: true);
        File.WriteAllText(cert + ".tmp", certificate.ExportCertificatePem());
        File.Move(cert + ".tmp", cert, overwrite: true);
        return (cert, key);
    }

    private static X509Certificate2 SelfSigned(string commonName, RSA key)
    {
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static int IndexOf(byte[] haystack, string ascii) => haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(ascii));

    /// <summary>pdfsig's report (its exit code says only whether it could read the file and found a signature).</summary>
    private async Task<string> PdfsigAsync(byte[] pdf)
    {
        var file = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".pdf");
        await File.WriteAllBytesAsync(file, pdf);
        var start = new ProcessStartInfo("pdfsig") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(file);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await output + await error;
    }
}
