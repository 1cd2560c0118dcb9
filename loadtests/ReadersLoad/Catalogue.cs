using System.Globalization;
using System.Text.Json;

namespace Pacs.Loadtests.ReadersLoad;

/// <summary>One instance of a target series: its SOP Instance UID and number of frames.</summary>
internal sealed record CatalogueInstance(string SopInstanceUid, int InstanceNumber, int Frames);

/// <summary>One target series, its instances ordered by Instance Number (how a viewer stacks them).</summary>
internal sealed record CatalogueSeries(string SeriesInstanceUid, int SeriesNumber, string Modality, IReadOnlyList<CatalogueInstance> Instances);

/// <summary>One target study and its image series, ordered by Series Number.</summary>
internal sealed record CatalogueStudy(string StudyInstanceUid, string PatientId, IReadOnlyList<CatalogueSeries> Series)
{
    public int Instances => Series.Sum(s => s.Instances.Count);
}

/// <summary>
/// The studies a run reads, found once before it starts with QIDO-RS (PS3.18 10.6): studies, their series, their
/// instances (paged with offset until a page is empty, since servers cap their answers). Series without instances are
/// left out, so are studies without series.
/// </summary>
internal static class Catalogue
{
    // DICOM JSON attribute tags (PS3.18 F.2): what the catalogue needs of each level.
    private const string StudyInstanceUid = "0020000D";
    private const string SeriesInstanceUid = "0020000E";
    private const string SopInstanceUid = "00080018";
    private const string SeriesNumber = "00200011";
    private const string InstanceNumber = "00200013";
    private const string NumberOfFrames = "00280008";
    private const string Modality = "00080060";
    private const string PatientId = "00100020";

    /// <summary>
    /// The studies listed in <paramref name="path"/> when it exists (written by an earlier run), else those the server
    /// lists now, written there: the runs of one load script read the same studies even after it has sent more.
    /// </summary>
    public static async Task<List<CatalogueStudy>> LoadOrDiscoverAsync(string path, HttpClient http, Uri root, int maxStudies, string? modalities,
        CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            return Load(await File.ReadAllTextAsync(path, cancellationToken));
        }

        var studies = await DiscoverAsync(http, root, maxStudies, modalities, cancellationToken);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(studies, SessionRecording.Json), cancellationToken);
        return studies;
    }

    /// <summary>A catalogue written by <see cref="LoadOrDiscoverAsync"/>; refused when a study, series or instance lacks its UID.</summary>
    public static List<CatalogueStudy> Load(string json)
    {
        var studies = JsonSerializer.Deserialize<List<CatalogueStudy>>(json, SessionRecording.Json)
            ?? throw new InvalidDataException("the catalogue is empty");
        foreach (var study in studies)
        {
            if (string.IsNullOrEmpty(study.StudyInstanceUid) || study.Series is null or { Count: 0 }
                || study.Series.Any(s => string.IsNullOrEmpty(s.SeriesInstanceUid) || s.Instances is null or { Count: 0 }
                    || s.Instances.Any(i => string.IsNullOrEmpty(i.SopInstanceUid))))
            {
                throw new InvalidDataException($"catalogue study {study.StudyInstanceUid}: a study, series or instance without its UID, or a series without instances");
            }
        }
        return studies;
    }

    public static async Task<List<CatalogueStudy>> DiscoverAsync(HttpClient http, Uri root, int maxStudies, string? modalities, CancellationToken cancellationToken)
    {
        var studies = new List<CatalogueStudy>();
        var query = "studies?includefield=00081030" + (modalities is null ? "" : "&ModalitiesInStudy=" + Uri.EscapeDataString(modalities));
        foreach (var study in await PagedAsync(http, root, query, maxStudies, cancellationToken))
        {
            var studyUid = Text(study, StudyInstanceUid);
            if (studyUid is null)
            {
                continue;
            }

            var series = new List<CatalogueSeries>();
            foreach (var s in await PagedAsync(http, root, $"studies/{studyUid}/series", 10_000, cancellationToken))
            {
                var seriesUid = Text(s, SeriesInstanceUid);
                if (seriesUid is null)
                {
                    continue;
                }

                var instances = (await PagedAsync(http, root, $"studies/{studyUid}/series/{seriesUid}/instances?includefield={InstanceNumber}&includefield={NumberOfFrames}", 100_000, cancellationToken))
                    .Select(i => (Uid: Text(i, SopInstanceUid), Number: Number(i, InstanceNumber) ?? 0, Frames: Number(i, NumberOfFrames) ?? 1))
                    .Where(i => i.Uid is not null)
                    .DistinctBy(i => i.Uid)
                    .OrderBy(i => i.Number).ThenBy(i => i.Uid, StringComparer.Ordinal)
                    .Select(i => new CatalogueInstance(i.Uid!, i.Number, Math.Max(1, i.Frames)))
                    .ToList();
                if (instances.Count > 0)
                {
                    series.Add(new CatalogueSeries(seriesUid, Number(s, SeriesNumber) ?? 0, Text(s, Modality) ?? "", instances));
                }
            }
            if (series.Count > 0)
            {
                studies.Add(new CatalogueStudy(studyUid, Text(study, PatientId) ?? "", series.OrderBy(s => s.SeriesNumber).ThenBy(s => s.SeriesInstanceUid, StringComparer.Ordinal).ToList()));
            }
        }
        return studies;
    }

    private static async Task<List<JsonElement>> PagedAsync(HttpClient http, Uri root, string query, int max, CancellationToken cancellationToken)
    {
        var results = new List<JsonElement>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (results.Count < max)
        {
            var separator = query.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, $"{query}{separator}offset={results.Count.ToString(CultureInfo.InvariantCulture)}&limit={Math.Min(1000, max - results.Count).ToString(CultureInfo.InvariantCulture)}"));
            request.Headers.Accept.ParseAdd("application/dicom+json");
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.NoContent)
            {
                break;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"GET {request.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }

            using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
            var added = 0;
            foreach (var element in json.RootElement.EnumerateArray())
            {
                // A server that ignores offset answers the first page again: stop on a page with nothing new.
                if (!seen.Add(element.GetRawText()))
                {
                    continue;
                }

                results.Add(element.Clone());
                added++;
            }
            if (added == 0)
            {
                break;
            }
        }
        return results;
    }

    private static string? Text(JsonElement dataset, string tag) =>
        dataset.TryGetProperty(tag, out var a) && a.TryGetProperty("Value", out var v) && v.GetArrayLength() > 0 ? v[0].ToString() : null;

    private static int? Number(JsonElement dataset, string tag) =>
        Text(dataset, tag) is { } s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (int)d : null;
}
