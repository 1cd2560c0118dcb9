using Microsoft.Extensions.Options;
using Pacs.Index.Reports;

namespace Pacs.Gateway.Reports;

/// <summary>
/// Stores the archived copies that signing could not (the blob store or the database refused it, or the gateway died
/// in between): at start-up and every <see cref="ReportArchiveOptions.RetryInterval"/>, each gateway claims a batch of
/// signed versions without a copy (ReportArchiveCopies; a claimed version is not claimed by another gateway until the
/// claim expires) and stores them. The state is in PostgreSQL, so a restart loses nothing.
/// </summary>
internal sealed partial class ReportArchiveSweep(
    ReportArchiveCopies copies,
    ReportStore store,
    ReportArchive archive,
    IOptions<ReportArchiveOptions> options,
    ILogger<ReportArchiveSweep> logger) : BackgroundService
{
    private const int BatchSize = 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.RetryInterval <= TimeSpan.Zero)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var stored = await SweepOnceAsync(stoppingToken).ConfigureAwait(false);
                if (stored > 0)
                {
                    LogStored(logger, stored);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (ReportArchive.IsUnavailable(e))
            {
                LogFailed(logger, e);
            }

            try
            {
                await Task.Delay(options.Value.RetryInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass over at most a batch of missing copies; returns how many are archived now.</summary>
    internal async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var archived = 0;
        foreach (var (study, number) in await copies.ClaimMissingAsync(BatchSize, ReportArchive.ClaimHold, cancellationToken).ConfigureAwait(false))
        {
            var header = await store.StudyAsync(study, cancellationToken).ConfigureAwait(false);
            var version = (await store.HistoryAsync(study, cancellationToken).ConfigureAwait(false)).FirstOrDefault(v => v.Version == number);
            if (header is null || version is null)
            {
                // Deleted with its study in the meantime (the rows go with it).
                continue;
            }

            try
            {
                if (await archive.StoreClaimedAsync(header, version, version.Signer ?? version.Author, cancellationToken).ConfigureAwait(false))
                {
                    archived++;
                }
            }
            catch (Exception e) when (ReportArchive.IsUnavailable(e))
            {
                // Left claimed: tried again when the claim expires (ReportArchive.ClaimHold).
                LogFailed(logger, e);
            }
        }

        return archived;
    }

    [LoggerMessage(EventId = 1455, Level = LogLevel.Information, Message = "Report archive sweep: stored {Count} missing report copies")]
    private static partial void LogStored(ILogger logger, int count);

    [LoggerMessage(EventId = 1456, Level = LogLevel.Warning, Message = "Report archive sweep failed; trying again at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
