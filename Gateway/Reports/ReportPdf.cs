using System.Globalization;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;
using PdfSharp.Drawing;
using PdfSharp.Pdf;
using PdfSharp.Pdf.Signatures;

namespace Pacs.Gateway.Reports;

/// <summary>
/// Renders a preliminary or signed report version as an A4 PDF with PDFsharp: clinic, patient and study header, the
/// six sections, the signature block, the version, preliminary or amendment mark and page numbers; labels and dates in
/// the requested language.
/// The DejaVu Sans faces are embedded (subset, Unicode encoding), so any Latin or Cyrillic name is kept as text.
/// </summary>
internal sealed class ReportPdf
{
    private const double Margin = 50;
    private const double FooterHeight = 30;

    private readonly PdfDocument _document = new();
    private readonly string _language;
    private readonly string _dateFormat;
    private readonly string _dateTimeFormat;
    private readonly XFont _body = Font(10, XFontStyleEx.Regular);
    private readonly XFont _bold = Font(10, XFontStyleEx.Bold);
    private readonly XFont _heading = Font(12, XFontStyleEx.Bold);
    private readonly XFont _title = Font(16, XFontStyleEx.Bold);
    private readonly XFont _small = Font(8, XFontStyleEx.Regular);
    private XGraphics? _graphics;
    private PdfPage? _page;
    private double _y;

    static ReportPdf() => ReportFonts.Install();

    private ReportPdf(string language)
    {
        _language = language;
        // Dates in the language's numeric pattern from the labels (the hosts run with invariant globalization: no
        // culture data to ask).
        _dateFormat = L("dateFormat");
        _dateTimeFormat = L("dateTimeFormat");
    }

    /// <summary>The PDF of <paramref name="version"/> of the report of <paramref name="study"/>, not signed.</summary>
    public static byte[] Render(ReportStudy study, ReportVersion version, string signerName, string language, ReportOptions clinic)
    {
        var pdf = new ReportPdf(language);
        pdf.Build(study, version, signerName, clinic);
        using var output = new MemoryStream();
        pdf._document.Save(output, closeStream: false);
        return output.ToArray();
    }

    /// <summary>
    /// The PDF of <paramref name="version"/>, digitally signed with the clinic's certificate when it is a final or
    /// amended version and <paramref name="signer"/> has a certificate; a draft's is never signed.
    /// </summary>
    public static async Task<byte[]> RenderAsync(ReportStudy study, ReportVersion version, string signerName, string language, ReportOptions clinic, ReportSigner signer)
    {
        if (!ReportStatus.IsSigned(version.Status) || signer.For(version.SignedAt ?? DateTimeOffset.UtcNow) is not { } digital)
        {
            return Render(study, version, signerName, language, clinic);
        }

        var pdf = new ReportPdf(language);
        pdf.Build(study, version, signerName, clinic);
        DigitalSignatureHandler.ForDocument(pdf._document, digital, signer.Options(
            // /Reason is a PDF text string: kept ASCII (the names are in the signed page content).
            $"Radiology report version {version.Version.ToString(CultureInfo.InvariantCulture)} ({version.Status})"));
        using var output = new MemoryStream();
        await pdf._document.SaveAsync(output, closeStream: false).ConfigureAwait(false);
        return output.ToArray();
    }

    private string L(string key) => ReportLabels.Get(_language, key);

    private void Build(ReportStudy study, ReportVersion version, string signerName, ReportOptions clinic)
    {
        _document.Info.Title = $"{L("title")} {study.AccessionNumber}".Trim();
        _document.Info.Creator = "Clinton PACS";
        NewPage();
        Line(clinic.Institution, _heading);
        if (clinic.Address.Length > 0)
        {
            Line(clinic.Address, _small);
        }

        _y += 8;
        var mark = version.Status switch
        {
            ReportStatus.Amended => L("amended"),
            ReportStatus.Preliminary => L("preliminary"),
            _ => L("final"),
        };
        Line($"{L("title")} · {mark}", _title);
        _y += 6;
        Line(L("patient"), _heading);
        Field(L("patientName"), PersonName(study.PatientName));
        Field(L("patientId"), study.PatientId);
        Field(L("birthDate"), DicomDate(study.PatientBirthDate));
        Field(L("sex"), study.PatientSex);
        _y += 6;
        Line(L("study"), _heading);
        Field(L("studyDate"), study.StudyDate?.ToString(_dateFormat, CultureInfo.InvariantCulture) ?? "");
        Field(L("studyDescription"), study.StudyDescription);
        Field(L("accession"), study.AccessionNumber);
        Field(L("modality"), string.Join(", ", study.Modalities.Where(m => m != "DOC")));
        if (study.ReferringPhysicianName.Length > 0)
        {
            Field(L("referring"), PersonName(study.ReferringPhysicianName));
        }

        Rule();
        if (version.Status == ReportStatus.Amended)
        {
            Line(string.Format(CultureInfo.InvariantCulture, L("amendment"), version.Version - 1), _bold);
            Field(L("amendmentReason"), version.AmendmentReason);
            _y += 6;
        }

        Section(L("clinicalInformation"), version.Content.ClinicalInformation);
        Section(L("technique"), version.Content.Technique);
        Section(L("comparison"), version.Content.Comparison);
        Section(L("findings"), version.Content.Findings);
        Section(L("impression"), version.Content.Impression);
        Section(L("recommendations"), version.Content.Recommendations);
        Rule();
        Field(L("signedBy"), signerName);
        Field(L("signedAt"), version.SignedAt is { } signed ? signed.ToUniversalTime().ToString(_dateTimeFormat, CultureInfo.InvariantCulture) + " UTC" : "");
        Field(L("version"), version.Version.ToString(CultureInfo.InvariantCulture));
        _graphics?.Dispose();
        Footers(study);
    }

    private void NewPage()
    {
        _graphics?.Dispose();
        _page = _document.AddPage();
        _page.Size = PdfSharp.PageSize.A4;
        _graphics = XGraphics.FromPdfPage(_page);
        _y = Margin;
    }

    private double Width => _page!.Width.Point - 2 * Margin;

    private double Bottom => _page!.Height.Point - Margin - FooterHeight;

    private void Line(string text, XFont font)
    {
        foreach (var line in Wrap(text, font, Width))
        {
            Draw(line, font, Margin);
        }
    }

    private void Field(string label, string value)
    {
        const double LabelWidth = 150;
        var lines = Wrap(value, _body, Width - LabelWidth);
        var height = _body.GetHeight() * 1.25;
        if (_y + height > Bottom)
        {
            NewPage();
        }

        _graphics!.DrawString(label + ":", _bold, XBrushes.Black, new XRect(Margin, _y, LabelWidth, height), XStringFormats.TopLeft);
        for (var i = 0; i < lines.Count; i++)
        {
            Draw(lines[i], _body, Margin + LabelWidth);
        }

        if (lines.Count == 0)
        {
            _y += height;
        }
    }

    private void Section(string heading, string text)
    {
        if (text.Trim().Length == 0)
        {
            return;
        }

        _y += 4;
        if (_y + 3 * _body.GetHeight() > Bottom)
        {
            NewPage();
        }

        Line(heading, _heading);
        Line(text, _body);
    }

    private void Rule()
    {
        _y += 4;
        _graphics!.DrawLine(XPens.Gray, Margin, _y, Margin + Width, _y);
        _y += 8;
    }

    private void Draw(string text, XFont font, double x)
    {
        var height = font.GetHeight() * 1.25;
        if (_y + height > Bottom)
        {
            NewPage();
        }

        _graphics!.DrawString(text, font, XBrushes.Black, new XRect(x, _y, Width - (x - Margin), height), XStringFormats.TopLeft);
        _y += height;
    }

    /// <summary>Word-wraps <paramref name="text"/> to <paramref name="width"/> points; a word wider than a line is cut.</summary>
    private List<string> Wrap(string text, XFont font, double width)
    {
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = "";
            foreach (var word in paragraph.Split(' '))
            {
                var candidate = line.Length == 0 ? word : line + " " + word;
                if (_graphics!.MeasureString(candidate, font).Width <= width)
                {
                    line = candidate;
                    continue;
                }

                if (line.Length > 0)
                {
                    lines.Add(line);
                }

                line = word;
                while (line.Length > 1 && _graphics.MeasureString(line, font).Width > width)
                {
                    var cut = line.Length - 1;
                    while (cut > 1 && _graphics.MeasureString(line[..cut], font).Width > width)
                    {
                        cut = Math.Max(1, cut * 3 / 4);
                    }

                    lines.Add(line[..cut]);
                    line = line[cut..];
                }
            }

            lines.Add(line);
        }

        return lines;
    }

    private void Footers(ReportStudy study)
    {
        var count = _document.PageCount;
        for (var i = 0; i < count; i++)
        {
            var page = _document.Pages[i];
            using var graphics = XGraphics.FromPdfPage(page, XGraphicsPdfPageOptions.Append);
            var y = page.Height.Point - Margin - _small.GetHeight();
            graphics.DrawString(string.Format(CultureInfo.InvariantCulture, L("page"), i + 1, count), _small, XBrushes.Black,
                new XRect(Margin, y, page.Width.Point - 2 * Margin, _small.GetHeight()), XStringFormats.TopRight);
            graphics.DrawString(study.StudyInstanceUid, _small, XBrushes.Gray,
                new XRect(Margin, y, page.Width.Point - 2 * Margin, _small.GetHeight()), XStringFormats.TopLeft);
        }
    }

    /// <summary>A DICOM PN (PS3.5 6.2: Family^Given^Middle^Prefix^Suffix, groups '=') as one line: the first group.</summary>
    private static string PersonName(string pn)
    {
        var group = pn.Split('=')[0];
        var parts = group.Split('^');
        var family = parts[0].Trim();
        var rest = string.Join(' ', parts.Skip(1).Select(p => p.Trim()).Where(p => p.Length > 0));
        return rest.Length == 0 ? family : family.Length == 0 ? rest : $"{family}, {rest}";
    }

    /// <summary>A DICOM DA (PS3.5 6.2: YYYYMMDD) in the report's locale; anything else as it is.</summary>
    private string DicomDate(string da) =>
        DateOnly.TryParseExact(da, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date.ToString(_dateFormat, CultureInfo.InvariantCulture) : da;

    private static XFont Font(double size, XFontStyleEx style) =>
        new(ReportFonts.Family, size, style, new XPdfFontOptions(PdfFontEncoding.Unicode));
}
