using System.Diagnostics;
using Pacs.Gateway.Reports;
using Pacs.Grains.Accounts;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;

namespace Pacs.Gateway.Tests;

/// <summary>The report PDF (PDFsharp) read back with poppler's pdftotext and pdffonts, and its label files.</summary>
public sealed class ReportPdfTests
{
    public static TheoryData<string> OtherLanguages() => [.. Languages.All.Where(l => l != Languages.Default)];

    private static readonly ReportStudy Study = new()
    {
        StudyInstanceUid = "1.2.826.0.1.3680043.8.498.1",
        PatientName = "Иванов^Пётр",
        PatientId = "P-1",
        PatientBirthDate = "19700131",
        PatientSex = "M",
        StudyDate = new DateOnly(2024, 1, 15),
        StudyDescription = "КТ головы",
        AccessionNumber = "A123",
        Modalities = ["CT", "DOC"],
    };

    private static ReportVersion Version(string findings) => new()
    {
        StudyInstanceUid = Study.StudyInstanceUid,
        Version = 1,
        Status = ReportStatus.Final,
        Content = new ReportContent { Language = "ru", Findings = findings, Impression = "Норма." },
        Author = "doc",
        Signer = "doc",
        SignedAt = new DateTimeOffset(2024, 1, 16, 10, 42, 0, TimeSpan.Zero),
    };

    [Theory]
    [MemberData(nameof(OtherLanguages))]
    public void Labels_EveryLanguage_HasEveryEnglishKey(string language)
    {
        var english = ReportLabels.Load(Languages.Default);
        var translated = ReportLabels.Load(language);
        Assert.Empty(english.Keys.Except(translated.Keys));
        Assert.Empty(translated.Keys.Except(english.Keys));
        Assert.All(translated, pair => Assert.False(string.IsNullOrWhiteSpace(pair.Value), $"{language}: {pair.Key} is empty"));
        Assert.NotEqual(english["findings"], translated["findings"]);
    }

    [Fact]
    public async Task Render_Russian_CyrillicNameLabelsAndDatesAsTextFontEmbedded()
    {
        var (text, fonts) = await ReadBackAsync(ReportPdf.Render(Study, Version("Очаговых изменений не выявлено."), "Д-р Смирнова", "ru", new ReportOptions { Institution = "Клиника Клинтон" }));
        Assert.Contains("Иванов, Пётр", text);
        Assert.Contains("Клиника Клинтон", text);
        Assert.Contains("Дата рождения", text);
        Assert.Contains("31.01.1970", text);
        Assert.Contains("Заключение", text);
        Assert.Contains("Очаговых изменений не выявлено.", text);
        Assert.Contains("Д-р Смирнова", text);
        Assert.Contains("16.01.2024 10:42", text);
        Assert.Contains("Страница 1 из 1", text);
        Assert.Matches(@"\+DejaVu Sans\S*\s+CID TrueType\s+Identity-H\s+yes\s+yes", fonts);
    }

    [Fact]
    public async Task Render_LongFindings_WrapsOntoNumberedPages()
    {
        var findings = string.Join("\n", Enumerable.Range(1, 150).Select(i => $"Line {i}: " + new string('x', 30) + " " + string.Concat(Enumerable.Repeat("word ", 20))));
        var (text, _) = await ReadBackAsync(ReportPdf.Render(Study, Version(findings), "Dr House", "en", new ReportOptions()));
        Assert.Contains("Page 1 of ", text);
        Assert.Contains("Line 150:", text);
        Assert.Matches(@"Page [3-9] of [3-9]", text);
        Assert.Contains("Date of birth", text);
        Assert.Contains("1970-01-31", text);
    }

    private static async Task<(string Text, string Fonts)> ReadBackAsync(byte[] pdf)
    {
        var file = Path.Combine(Path.GetTempPath(), $"report-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(file, pdf);
        try
        {
            return (await RunAsync("pdftotext", "-enc", "UTF-8", file, "-"), await RunAsync("pdffonts", file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<string> RunAsync(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        return output;
    }
}
