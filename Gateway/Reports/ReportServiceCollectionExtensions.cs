using Pacs.Index.Reports;
using Pacs.Index.Write;

namespace Pacs.Gateway.Reports;

internal static class ReportServiceCollectionExtensions
{
    /// <summary>The report API's reads (ReportStore), its audit writer (StudyIndex.AuditAsync), the PDF, its signer, the archived copy and its sweep, templates and macros.</summary>
    public static IServiceCollection AddReports(this IServiceCollection services)
    {
        services.AddOptions<ReportOptions>().BindConfiguration(ReportOptions.Section);
        services.AddOptions<ReportSigningOptions>().BindConfiguration(ReportSigningOptions.Section);
        services.AddSingleton<ReportSigner>();
        services.AddSingleton<ReportStore>();
        services.AddSingleton<ReportTemplateStore>();
        services.AddSingleton<ReportMacroStore>();
        services.AddSingleton<StudyIndex>();
        services.AddSingleton<ReportArchive>();
        services.AddOptions<ReportArchiveOptions>().BindConfiguration(ReportArchiveOptions.Section);
        services.AddSingleton<ReportArchiveCopies>();
        services.AddHostedService<ReportArchiveSweep>();
        return services;
    }
}
