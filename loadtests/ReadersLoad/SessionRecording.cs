using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pacs.Loadtests.ReadersLoad;

/// <summary>What a viewer request is for, by its DICOMweb resource (PS3.18 10.4 WADO-RS, 10.6 QIDO-RS).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RequestKind>))]
internal enum RequestKind
{
    /// <summary>QIDO-RS search for studies (the study list).</summary>
    StudyList,
    /// <summary>QIDO-RS search for the series of one study.</summary>
    StudySeries,
    /// <summary>QIDO-RS search for the instances of one study or series.</summary>
    Instances,
    /// <summary>WADO-RS metadata of a whole study.</summary>
    StudyMetadata,
    /// <summary>WADO-RS metadata of one series.</summary>
    SeriesMetadata,
    /// <summary>A thumbnail or rendered image of a series or instance (PS3.18 10.4.1.1.4).</summary>
    Thumbnail,
    /// <summary>WADO-RS frames of one instance (PS3.18 10.4.1.1.2): the pixels the viewer decodes and shows.</summary>
    Frame,
    /// <summary>Any other DICOMweb request; replayed as recorded.</summary>
    Other,
}

/// <summary>
/// One DICOMweb request of the recorded viewer session. <see cref="Path"/> is relative to the DICOMweb root with the
/// UIDs abstracted: <c>{study}</c>, <c>{series}</c> (which one: <see cref="Series"/>, 0 = the series shown first, in
/// order of first request) and <c>{instance}</c> (<see cref="Instance"/>: its position in the series by Instance
/// Number); in queries <c>{study}</c> and <c>{patient}</c> (the Patient ID). Times are milliseconds from the session's
/// first DICOMweb request, as the page issued them; <see cref="PendingAtIssue"/> counts this request and those issued
/// before it that had not ended (the browser's own queue holds all above 6 per host, HTTP/1.1). Bytes 0 with status 200:
/// the page cancelled it (net::ERR_ABORTED) or Playwright gave no body size; status 0: the page cancelled it before the
/// answer came (the study list's previews when the viewer opens). The replay sends each one and reads its body whole.
/// </summary>
internal sealed record RecordedRequest(
    int Sequence,
    RequestKind Kind,
    string Method,
    string Path,
    string? Accept,
    int? Series,
    int? Instance,
    bool AfterUserAction,
    double StartMs,
    double DurationMs,
    int Status,
    long Bytes,
    int PendingAtIssue);

/// <summary>A recorded series: its index in the session and how many instances it had.</summary>
internal sealed record RecordedSeries(int Index, int Instances);

/// <summary>
/// The requests a real viewer session sent, in the order it sent them, recorded once in a browser
/// (tests/EndToEnd.Tests/OhifSessionRecorderTests.cs) and replayed by the load generator against any DICOMweb server.
/// </summary>
internal sealed record SessionRecording(
    string Viewer,
    string Description,
    DateTime RecordedUtc,
    string DicomWebRoot,
    int MaxInFlightPerHost,
    IReadOnlyList<RecordedSeries> Series,
    IReadOnlyList<RecordedRequest> Requests)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A percentile of no values is NaN (no study got that far): written as "NaN", not refused.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static SessionRecording Parse(string json)
    {
        var recording = JsonSerializer.Deserialize<SessionRecording>(json, Json)
            ?? throw new InvalidDataException("the recording is empty");
        if (recording.Requests is null || recording.Requests.Count == 0)
        {
            throw new InvalidDataException("the recording has no requests");
        }

        if (recording.Series is null || recording.Series.Count == 0)
        {
            throw new InvalidDataException("the recording names no series");
        }

        foreach (var r in recording.Requests)
        {
            if (r.Path.Contains("{series}", StringComparison.Ordinal) && r.Series is null)
            {
                throw new InvalidDataException($"request {r.Sequence} has {{series}} in its path but no series index");
            }

            if (r.Path.Contains("{instance}", StringComparison.Ordinal) && (r.Series is null || r.Instance is null))
            {
                throw new InvalidDataException($"request {r.Sequence} has {{instance}} in its path but no series or instance index");
            }
        }
        return recording;
    }

    public static SessionRecording Load(string path) => Parse(File.ReadAllText(path));

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// A request URL's path and query relative to the DICOMweb root with the UIDs replaced by placeholders, and what it
    /// is for. Null when the URL is not under <paramref name="dicomWebRoot"/>.
    /// </summary>
    public static (string Path, RequestKind Kind)? Abstract(Uri url, string dicomWebRoot, string study, string patientId, IReadOnlyCollection<string> series, IReadOnlyCollection<string> instances)
    {
        var pathAndQuery = url.PathAndQuery;
        if (!pathAndQuery.StartsWith(dicomWebRoot, StringComparison.Ordinal))
        {
            return null;
        }

        var relative = pathAndQuery[dicomWebRoot.Length..];
        var segments = relative.Split('?', 2);
        var parts = segments[0].Split('/');
        for (var i = 1; i < parts.Length; i++)
        {
            var uid = Uri.UnescapeDataString(parts[i]);
            parts[i] = parts[i - 1] switch
            {
                "studies" when uid == study => "{study}",
                "series" when series.Contains(uid) => "{series}",
                "instances" when instances.Contains(uid) => "{instance}",
                _ => parts[i],
            };
        }
        // The viewer's queries name the study and the patient too (StudyInstanceUID=..., PatientID=... of the priors search).
        var query = segments.Length > 1
            ? "?" + segments[1].Replace(study, "{study}", StringComparison.Ordinal).Replace(Uri.EscapeDataString(patientId), "{patient}", StringComparison.Ordinal)
            : "";
        var path = string.Join('/', parts) + query;
        return (path, KindOf(string.Join('/', parts)));
    }

    /// <summary>The kind of a request, from its abstracted path (without the query).</summary>
    public static RequestKind KindOf(string path)
    {
        var p = path.Split('?', 2)[0].TrimEnd('/');
        if (p.Contains("/frames/", StringComparison.Ordinal))
        {
            return RequestKind.Frame;
        }

        if (p.EndsWith("/thumbnail", StringComparison.Ordinal) || p.EndsWith("/rendered", StringComparison.Ordinal))
        {
            return RequestKind.Thumbnail;
        }

        if (p == "studies")
        {
            return RequestKind.StudyList;
        }

        if (p == "studies/{study}/series")
        {
            return RequestKind.StudySeries;
        }

        if (p.EndsWith("/instances", StringComparison.Ordinal))
        {
            return RequestKind.Instances;
        }

        if (p == "studies/{study}/metadata")
        {
            return RequestKind.StudyMetadata;
        }

        if (p == "studies/{study}/series/{series}/metadata")
        {
            return RequestKind.SeriesMetadata;
        }

        return RequestKind.Other;
    }
}
