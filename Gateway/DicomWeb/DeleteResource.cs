using Pacs.Gateway.Storage;
using Pacs.Grains;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// DELETE of a study, series or instance: the study grain removes the rows from the index (and forgets them, its
/// series metadata included), then the blobs it returns are deleted. 204 when something was deleted, 404 otherwise.
/// A blob whose delete fails stays as an unindexed orphan, which is harmless (nothing refers to it) and reported.
/// </summary>
internal static partial class DeleteResource
{
    public static Task<IResult> DeleteStudyAsync(string study, IGrainFactory grains, IBlobStore blobs, InstanceLookup instances, ILoggerFactory logs, CancellationToken cancellationToken) =>
        DeleteAsync(grains, blobs, instances, logs, study, null, null, cancellationToken);

    public static Task<IResult> DeleteSeriesAsync(string study, string series, IGrainFactory grains, IBlobStore blobs, InstanceLookup instances, ILoggerFactory logs, CancellationToken cancellationToken) =>
        DeleteAsync(grains, blobs, instances, logs, study, series, null, cancellationToken);

    public static Task<IResult> DeleteInstanceAsync(string study, string series, string instance, IGrainFactory grains, IBlobStore blobs, InstanceLookup instances, ILoggerFactory logs, CancellationToken cancellationToken) =>
        DeleteAsync(grains, blobs, instances, logs, study, series, instance, cancellationToken);

    private static async Task<IResult> DeleteAsync(IGrainFactory grains, IBlobStore blobs, InstanceLookup instances, ILoggerFactory logs, string study, string? series, string? sop, CancellationToken cancellationToken)
    {
        var keys = await grains.GetGrain<IStudyGrain>(IStudyGrain.KeyFor(study)).DeleteAsync(series, sop).ConfigureAwait(false);
        // This gateway's copy of the study's instance rows goes at once; other gateways' within their lifetime.
        instances.Forget(study);
        if (keys.Count == 0)
        {
            throw DicomWebException.NotFound(sop is not null ? $"Instance {sop} not found." : series is not null ? $"Series {series} not found." : $"Study {study} not found.");
        }

        foreach (var key in keys)
        {
            try
            {
                await blobs.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogBlobDeleteFailed(logs.CreateLogger("Pacs.Gateway.DicomWeb.Delete"), e, key);
            }
        }
        return Results.NoContent();
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "DICOMweb delete: blob {BlobKey} could not be deleted")]
    private static partial void LogBlobDeleteFailed(ILogger logger, Exception exception, string blobKey);
}
