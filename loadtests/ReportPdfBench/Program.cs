// Issue 14's PDF goal: a report's PDF generated at the gateway in p50 <= 50 ms and p99 <= 200 ms. Renders a typical
// report (Cyrillic and Latin text, one page) and a long one (about 4 pages) with the gateway's own code (ReportPdf,
// ReportSigner), unsigned and signed with a self-signed RSA 3072 certificate like ./pacs up's, one after another on one
// thread, and prints p50/p95/p99/max per case. Usage: dotnet loadtests/ReportPdfBench/bin/Release/net10.0/Pacs.Loadtests.ReportPdfBench.dll [renders]
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pacs.Gateway.Reports;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;

var renders = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
var folder = Path.Combine(Path.GetTempPath(), "report-pdf-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(folder);
try
{
    using (var key = RSA.Create(3072))
    {
        var request = new CertificateRequest("CN=Report PDF bench", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(folder, "cert.pem"), certificate.ExportCertificatePem());
    }

    var signer = new ReportSigner(Options.Create(new ReportSigningOptions
    {
        CertificatePath = Path.Combine(folder, "cert.pem"),
        KeyPath = Path.Combine(folder, "key.pem"),
    }), NullLogger<ReportSigner>.Instance);
    var unsigned = new ReportSigner(Options.Create(new ReportSigningOptions()), NullLogger<ReportSigner>.Instance);
    var study = new ReportStudy
    {
        StudyInstanceUid = "1.2.826.0.1.3680043.8.498.99",
        PatientName = "Иванов^Пётр",
        PatientId = "P-99",
        PatientBirthDate = "19700131",
        PatientSex = "M",
        StudyDate = new DateOnly(2024, 1, 15),
        StudyDescription = "КТ головы",
        AccessionNumber = "A99",
        Modalities = ["CT"],
    };
    var typical = Version("Очаговых изменений не выявлено. Желудочки не расширены, срединные структуры не смещены. No acute intracranial abnormality.");
    var longer = Version(string.Join("\n", Enumerable.Range(1, 120).Select(i => $"Line {i}: " + string.Concat(Enumerable.Repeat("слово word ", 12)))));
    Console.WriteLine($"{renders} renders per case, one thread; ms");
    Console.WriteLine("case                  p50     p95     p99     max   pages");
    foreach (var (name, version, with) in new[] { ("typical unsigned", typical, unsigned), ("typical signed", typical, signer), ("long unsigned", longer, unsigned), ("long signed", longer, signer) })
    {
        for (var i = 0; i < 20; i++)
        {
            await ReportPdf.RenderAsync(study, version, "Д-р Смирнова", "ru", new ReportOptions(), with);
        }

        var times = new double[renders];
        byte[] pdf = [];
        for (var i = 0; i < renders; i++)
        {
            var started = Stopwatch.GetTimestamp();
            pdf = await ReportPdf.RenderAsync(study, version, "Д-р Смирнова", "ru", new ReportOptions(), with);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(times);
        var pages = System.Text.RegularExpressions.Regex.Count(System.Text.Encoding.Latin1.GetString(pdf), @"/Type\s*/Page[^s]");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-18} {At(times, 0.50),7:F1} {At(times, 0.95),7:F1} {At(times, 0.99),7:F1} {times[^1],7:F1} {pages,7}"));
    }
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static double At(double[] sorted, double quantile) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];

static ReportVersion Version(string findings) => new()
{
    StudyInstanceUid = "1.2.826.0.1.3680043.8.498.99",
    Version = 1,
    Status = ReportStatus.Final,
    Content = new ReportContent { Language = "ru", Technique = "КТ без контраста", Findings = findings, Impression = "Норма." },
    Author = "doc",
    Signer = "doc",
    SignedAt = new DateTimeOffset(2024, 1, 16, 10, 42, 0, TimeSpan.Zero),
};
