using PdfSharp.Fonts;

namespace Pacs.Gateway.Reports;

/// <summary>
/// PDFsharp's font resolver over the DejaVu Sans faces embedded in this assembly (Fonts/, licence beside them): the PDF
/// looks the same on every machine and covers Latin and Cyrillic. Every family name resolves to DejaVu Sans.
/// </summary>
internal sealed class ReportFonts : IFontResolver
{
    public const string Family = "DejaVu Sans";
    private const string Regular = "DejaVuSans";
    private const string Bold = "DejaVuSans-Bold";

    private static readonly Lock Gate = new();
    private static bool _installed;

    /// <summary>Installs the resolver once per process (PDFsharp allows setting it only before the first use of a font).</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (!_installed)
            {
                GlobalFontSettings.FontResolver = new ReportFonts();
                _installed = true;
            }
        }
    }

    public FontResolverInfo ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? Bold : Regular, false, italic);

    public byte[] GetFont(string faceName)
    {
        using var stream = typeof(ReportFonts).Assembly.GetManifestResourceStream($"Pacs.Gateway.Reports.Fonts.{faceName}.ttf")
            ?? throw new InvalidOperationException($"No embedded font '{faceName}'.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
