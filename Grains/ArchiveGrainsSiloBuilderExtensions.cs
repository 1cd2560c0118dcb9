using Microsoft.Extensions.DependencyInjection;
using Pacs.Grains.Accounts;
using Pacs.Grains.Reports;
using Pacs.Index.Accounts;
using Pacs.Index.Reports;
using Pacs.Index.Write;

namespace Pacs.Grains;

public static class ArchiveGrainsSiloBuilderExtensions
{
    /// <summary>
    /// What the study and patient grains need besides the archive storage: the index writer (over the
    /// <see cref="Npgsql.NpgsqlDataSource"/> the host registers) and their options (section "Pacs").
    /// </summary>
    public static ISiloBuilder AddArchiveGrains(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ArchiveGrainOptions>().BindConfiguration(ArchiveGrainOptions.Section);
        builder.Services.AddSingleton<StudyIndex>();
        builder.Services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section);
        builder.Services.AddSingleton<AccountStore>();
        builder.Services.AddSingleton<ReportStore>();
        builder.Services.AddOptions<ReportGrainOptions>().BindConfiguration(ReportGrainOptions.Section)
            .Validate(o => o.EditingLockLifetime > TimeSpan.Zero, "Pacs:Reports:EditingLockLifetime must be positive.").ValidateOnStart();
        builder.Services.AddSingleton(services => new SeriesMetadataBudget(
            Math.Max(1, services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ArchiveGrainOptions>>().Value.SeriesMetadataMegabytes) * 1024L * 1024));
        return builder;
    }
}
