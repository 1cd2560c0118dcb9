using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Pacs.Dicom;
using Pacs.Dicom.Json;
using Pacs.Dicom.Query;
using Pacs.Gateway.Auth;
using Pacs.Index.Read;

namespace Pacs.Gateway.DicomWeb;

/// <summary>
/// QIDO-RS (PS3.18 10.6): search studies, series and instances. Parameters become a <see cref="DicomQuery"/>
/// (<see cref="DicomQuery.FromQido"/>), the index answers in SQL, each match is projected to the PS3.18 Table
/// 10.6.3-3..5 defaults plus the match keys and includefield, and the JSON array is streamed to the response.
/// </summary>
internal static class QidoResource
{
    public static Task SearchStudiesAsync(HttpContext http, IndexReader index, IOptions<DicomWebOptions> options, CancellationToken cancellationToken) =>
        SearchAsync(http, index, options.Value, QueryLevel.Study, default, cancellationToken);

    public static Task SearchSeriesAsync(HttpContext http, IndexReader index, IOptions<DicomWebOptions> options, CancellationToken cancellationToken) =>
        SearchAsync(http, index, options.Value, QueryLevel.Series, default, cancellationToken);

    public static Task SearchInstancesAsync(HttpContext http, IndexReader index, IOptions<DicomWebOptions> options, CancellationToken cancellationToken) =>
        SearchAsync(http, index, options.Value, QueryLevel.Image, default, cancellationToken);

    public static Task SearchStudySeriesAsync(string study, HttpContext http, IndexReader index, IOptions<DicomWebOptions> options, CancellationToken cancellationToken) =>
        SearchAsync(http, index, options.Value, QueryLevel.Series, new QidoScope(study), cancellationToken);

    public static Task SearchStudyInstancesAsync(string study, HttpContext http, IndexReader index, IOptions<DicomWebOptions> options, CancellationToken cancellationToken) =>
        SearchAsync(http, index, options.Value, QueryLevel.Image, new QidoScope(study), cancellationToken);

    public static Task SearchSeriesInstancesAsync(string study, string series, HttpContext http, IndexReader index, IOptions<DicomWebOptions> options, CancellationToken cancellationToken) =>
        SearchAsync(http, index, options.Value, QueryLevel.Image, new QidoScope(study, series), cancellationToken);

    private static async Task SearchAsync(HttpContext http, IndexReader index, DicomWebOptions options, QueryLevel level, QidoScope scope, CancellationToken cancellationToken)
    {
        var parameters = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in http.Request.Query)
        {
            foreach (var value in values)
            {
                parameters.Add(new(name, value ?? ""));
            }
        }

        var parsed = DicomQuery.FromQido(level, parameters, scope);
        if (!parsed.IsSuccess)
        {
            throw DicomWebException.BadRequest(parsed.Error.ToString());
        }

        var query = parsed.Query;

        // PS3.18 8.3.4.4: the server may return fewer than asked; then a Warning says more can be requested.
        var max = options.MaxQidoResults;
        var serverCapped = query.Limit is null || query.Limit > max;
        var take = serverCapped ? max : query.Limit!.Value;
        var bounded = WithLimit(query, serverCapped ? max + 1 : take);

        var matches = new List<IndexMatch>(Math.Min(take + 1, 1024));
        await foreach (var match in index.FindAsync(bounded, http.User.StudyGroupsOf(), cancellationToken).ConfigureAwait(false))
        {
            matches.Add(match);
        }

        var truncated = serverCapped && matches.Count > take;
        if (truncated)
        {
            matches.RemoveRange(take, matches.Count - take);
        }

        var response = http.Response;
        if (truncated)
        {
            response.Headers.Warning = $"299 {http.Request.Host.Host} \"The number of results exceeded the maximum supported by the server. Additional results can be requested.\"";
        }

        if (matches.Count == 0)
        {
            response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = PixelMediaTypes.DicomJson;
        var baseUrl = DicomWebUris.BaseUrl(http.Request);
        await using var writer = new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartArray();
        foreach (var match in matches)
        {
            DicomJsonWriter.Write(writer, Project(query, match, baseUrl));
            if (writer.BytesPending > 32 * 1024)
            {
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        writer.WriteEndArray();
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The response object of one match (PS3.18 10.6.3.3): return keys, Retrieve URL, availability.</summary>
    internal static DicomDataset Project(DicomQuery query, IndexMatch match, string baseUrl)
    {
        var result = InMemoryMatcher.Project(query, match.Candidate);
        // The candidate's values are Unicode (the index JSON); say so when they are not plain ASCII.
        if (match.Candidate.TryGetElement(DicomTag.SpecificCharacterSet, out var cs))
        {
            result.Set(cs);
        }
        // A study whose series have no Modality has no ModalitiesInStudy to derive. DICOM JSON may carry it without a
        // Value (PS3.18 F.2.5), but OHIF 3.13's study list reads ModalitiesInStudy.Value.length and then shows no
        // study at all; an attribute that is absent is read as "no modalities" by it and by any client.
        if (result.TryGetElement(DicomTag.ModalitiesInStudy, out var modalities) && modalities.Value.Length == 0)
        {
            result.Remove(DicomTag.ModalitiesInStudy);
        }

        if (result.Contains(DicomTag.InstanceAvailability))
        {
            result.SetString(DicomTag.InstanceAvailability, DicomVR.CS, "ONLINE");
        }

        var url = match.Level switch
        {
            QueryLevel.Study when match.StudyInstanceUid is { } s => DicomWebUris.Study(baseUrl, s),
            QueryLevel.Series when match is { StudyInstanceUid: { } s, SeriesInstanceUid: { } se } => DicomWebUris.Series(baseUrl, s, se),
            QueryLevel.Image when match is { StudyInstanceUid: { } s, SeriesInstanceUid: { } se, SopInstanceUid: { } i } => DicomWebUris.Instance(baseUrl, s, se, i),
            _ => null,
        };
        if (url is not null)
        {
            result.SetString(DicomTag.RetrieveURL, DicomVR.UR, url);
        }

        return result;
    }

    private static DicomQuery WithLimit(DicomQuery q, int limit) => new()
    {
        Level = q.Level,
        Model = q.Model,
        Keys = q.Keys,
        ReturnKeys = q.ReturnKeys,
        HigherLevelUniqueKeys = q.HigherLevelUniqueKeys,
        Relational = q.Relational,
        FuzzyMatching = q.FuzzyMatching,
        IncludeAll = q.IncludeAll,
        IncludeFields = q.IncludeFields,
        Limit = limit,
        Offset = q.Offset,
        TimezoneOffset = q.TimezoneOffset,
    };
}
