using Pacs.Index.Reports;
using Pacs.Index.Write;

namespace Pacs.Gateway.Reports;

internal static class ReportServiceCollectionExtensions
{
    /// <summary>The report API's reads (ReportStore), its audit writer (StudyIndex.AuditAsync), the PDF, its signer and the archived copy.</summary>
    public static IServiceCollection AddReports(this IServiceCollection services)
    {
        services.AddOptions<ReportOptions>().BindConfiguration(ReportOptions.Section);
        services.AddOptions<ReportSigningOptions>().BindConfiguration(ReportSigningOptions.Section);
        services.AddSingleton<ReportSigner>();
        services.AddSingleton<ReportStore>();
        services.AddSingleton<ReportTemplateStore>();
        services.AddSingleton<StudyIndex>();
        services.AddSingleton<ReportArchive>();
        return services;
    }
}
