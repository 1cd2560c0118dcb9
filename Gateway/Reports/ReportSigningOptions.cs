namespace Pacs.Gateway.Reports;

/// <summary>
/// Section "Pacs:Reports:Signing": the clinic's certificate that signs the PDF of every final and amended report
/// (docs/operations.md, "Report signing"). PEM (certificate chain, key in <see cref="KeyPath"/> or the same file) or
/// PKCS#12 (.pfx/.p12) with the password in <see cref="PasswordFile"/>; a mounted Kubernetes secret works as it is.
/// The files are re-read when they change (rotation). Without a certificate, PDFs are not signed (a warning at start).
/// </summary>
public sealed class ReportSigningOptions
{
    public const string Section = "Pacs:Reports:Signing";

    /// <summary>PEM certificate (chain) file or PKCS#12 file; empty: report PDFs are not signed.</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>PEM private key file; empty when the key is in <see cref="CertificatePath"/>.</summary>
    public string KeyPath { get; set; } = "";

    /// <summary>File holding the password of the PKCS#12 file or of an encrypted PEM key (a trailing newline is ignored).</summary>
    public string PasswordFile { get; set; } = "";

    /// <summary>Where the signature says it was made (the PDF signature dictionary's /Location).</summary>
    public string Location { get; set; } = "";

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);
}
