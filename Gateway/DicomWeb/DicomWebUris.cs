using Pacs.Dicom.Query;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb;

/// <summary>URLs of this gateway's DICOMweb resources, and index look-ups of the instances a URL names.</summary>
internal static class DicomWebUris
{
    public const string Root = "/dicom-web";

    /// <summary>The absolute /dicom-web URL as the client reached us (RetrieveURL, BulkDataURI).</summary>
    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}{Root}";

    public static string Study(string baseUrl, string study) => $"{baseUrl}/studies/{study}";
    public static string Series(string baseUrl, string study, string series) => $"{baseUrl}/studies/{study}/series/{series}";
    public static string Instance(string baseUrl, string study, string series, string sop) => $"{baseUrl}/studies/{study}/series/{series}/instances/{sop}";

    /// <summary>The instances under a study, series or instance URL, in index order; 404 when there are none.</summary>
    public static async Task<IReadOnlyList<IndexedInstance>> InstancesAsync(IndexReader index, string study, string? series, string? sop, CancellationToken cancellationToken)
    {
        var parameters = new List<KeyValuePair<string, string>>();
        if (sop is not null)
        {
            parameters.Add(new("SOPInstanceUID", sop));
        }

        var parsed = DicomQuery.FromQido(QueryLevel.Image, parameters, new QidoScope(study, series));
        if (!parsed.IsSuccess)
        {
            throw DicomWebException.BadRequest(parsed.Error.Message);
        }

        var instances = await index.GetInstancesAsync(parsed.Query, cancellationToken).ConfigureAwait(false);
        if (instances.Count == 0)
        {
            throw DicomWebException.NotFound(sop is not null ? $"Instance {sop} not found." : series is not null ? $"Series {series} not found." : $"Study {study} not found.");
        }

        return instances;
    }
}
