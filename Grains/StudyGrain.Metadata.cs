using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Pacs.Grains;

/// <summary>
/// DICOMweb series metadata (PS3.18 10.4.1.1.2) kept in the study grain's memory, within the silo's
/// <see cref="SeriesMetadataBudget"/>: built from the index on first request, dropped whenever an instance of the series is added, replaced or deleted (<see cref="Add"/> and
/// <see cref="Remove"/> call <see cref="InvalidateSeriesMetadata"/>). A build that overlaps a change is not kept:
/// each series has a generation, bumped on every invalidation, and a build stores its result only if the
/// generation it started with is still current.
/// </summary>
internal sealed partial class StudyGrain
{
    // Version and a weak reference per built series: the bytes belong to the silo's SeriesMetadataBudget.
    private readonly Dictionary<string, (string Version, WeakReference<SeriesMetadata> Metadata)> _seriesMetadata = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _seriesMetadataGenerations = new(StringComparer.Ordinal);
    private string BudgetKey(string seriesInstanceUid) => _studyInstanceUid + "/" + seriesInstanceUid;

    public async Task<SeriesMetadata?> GetSeriesMetadataAsync(string seriesInstanceUid, string? knownVersion, CancellationToken cancellationToken)
    {
        if (!_series.TryGetValue(seriesInstanceUid, out var series) || series.Instances.Count == 0)
        {
            return null;
        }

        SeriesMetadata? metadata = null;
        if (_seriesMetadata.TryGetValue(seriesInstanceUid, out var kept))
        {
            metadataBudget.Touch(BudgetKey(seriesInstanceUid));
            // The caller holds the current version: no bytes needed, whether or not they are still in memory here.
            if (string.Equals(knownVersion, kept.Version, StringComparison.Ordinal))
            {
                return new SeriesMetadata { Version = kept.Version };
            }

            kept.Metadata.TryGetTarget(out metadata);
        }

        if (metadata is null)
        {
            var generation = _seriesMetadataGenerations.GetValueOrDefault(seriesInstanceUid);
            var started = Stopwatch.GetTimestamp();
            try
            {
                // Not the caller's token: the build is kept for every later caller, whoever stops waiting for it.
                metadata = await SeriesMetadataBuilder.BuildAsync(dataSource, _studyInstanceUid, seriesInstanceUid, CancellationToken.None);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                throw new ArchiveIndexException($"Index unavailable: {e.Message}");
            }
            if (metadata is null)
            {
                return null;
            }

            LogSeriesMetadataBuilt(logger, _studyInstanceUid, seriesInstanceUid, metadata.SopInstanceUids.Count, metadata.Json!.Length, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (_seriesMetadataGenerations.GetValueOrDefault(seriesInstanceUid) == generation)
            {
                _seriesMetadata[seriesInstanceUid] = (metadata.Version, new WeakReference<SeriesMetadata>(metadata));
                metadataBudget.Keep(BudgetKey(seriesInstanceUid), metadata);
            }
        }
        return string.Equals(knownVersion, metadata.Version, StringComparison.Ordinal)
            ? new SeriesMetadata { Version = metadata.Version }
            : metadata;
    }

    /// <summary>A deactivating grain's series leave the budget with it.</summary>
    private void ForgetSeriesMetadata()
    {
        foreach (var series in _seriesMetadata.Keys)
        {
            metadataBudget.Forget(BudgetKey(series));
        }

        _seriesMetadata.Clear();
    }

    public Task<IReadOnlyList<string>> GetSeriesInstanceUidsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(_series.Where(s => s.Value.Instances.Count > 0).Select(s => s.Key).Order(StringComparer.Ordinal).ToList());

    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, Message = "Study {StudyInstanceUid}: metadata of series {SeriesInstanceUid} built from the index, {Count} instance(s), {Bytes} bytes, {Milliseconds:F1} ms")]
    private static partial void LogSeriesMetadataBuilt(ILogger logger, string studyInstanceUid, string seriesInstanceUid, int count, int bytes, double milliseconds);

    private void InvalidateSeriesMetadata(string seriesInstanceUid)
    {
        if (_seriesMetadata.Remove(seriesInstanceUid))
        {
            metadataBudget.Forget(BudgetKey(seriesInstanceUid));
        }

        _seriesMetadataGenerations[seriesInstanceUid] = _seriesMetadataGenerations.GetValueOrDefault(seriesInstanceUid) + 1;
    }
}
