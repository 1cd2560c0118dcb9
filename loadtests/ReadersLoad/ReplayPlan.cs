namespace Pacs.Loadtests.ReadersLoad;

/// <summary>One request of a study's replay: the concrete path (relative to the DICOMweb root) and what it waits for.</summary>
internal sealed record PlannedRequest(int Index, RequestKind Kind, string Path, string? Accept, int? Series, bool AfterUserAction);

/// <summary>
/// The recorded session turned into the requests for one study of the target server, in the recorded order: every
/// request with its placeholders filled; the frames of a recorded series expanded over all instances of the target
/// series (in the order the viewer asked for them, scaled to the target's length); the requests of the last recorded
/// series (the one the reader turned to) repeated for every further series of the target study.
/// </summary>
internal static class ReplayPlan
{
    public static List<PlannedRequest> For(SessionRecording recording, CatalogueStudy study)
    {
        var lastRecorded = recording.Series.Count - 1;
        var plan = new List<PlannedRequest>();
        var framesPlanned = new HashSet<int>();
        foreach (var r in recording.Requests.OrderBy(r => r.Sequence))
        {
            // The series of the target this request stands for: itself, or for the last recorded one every further series.
            var targets = r.Series is not { } s ? [null]
                : s < lastRecorded || lastRecorded == 0 ? [s]
                : Enumerable.Range(s, Math.Max(0, study.Series.Count - s)).Select(i => (int?)i);
            foreach (var target in targets)
            {
                if (target is { } t && t >= study.Series.Count)
                {
                    continue;
                }

                if (r.Kind == RequestKind.Frame && target is { } ts && r.Instance is not null)
                {
                    if (!framesPlanned.Add(ts))
                    {
                        continue;
                    }

                    var series = study.Series[ts];
                    var order = FrameOrder(recording, r.Series!.Value, series.Instances.Count);
                    foreach (var position in order)
                    {
                        var instance = series.Instances[position];
                        for (var frame = 1; frame <= instance.Frames; frame++)
                        {
                            var path = Fill(r.Path, study, target, instance.SopInstanceUid);
                            path = ReplaceFrameNumber(path, frame);
                            plan.Add(new PlannedRequest(plan.Count, RequestKind.Frame, path, r.Accept, ts, r.AfterUserAction));
                        }
                    }
                    continue;
                }
                if (r.Instance is not null)
                {
                    // An instance-level request other than frames (a rendered instance): the instance at the same position.
                    var series = study.Series[target!.Value];
                    var recordedCount = recording.Series.FirstOrDefault(x => x.Index == r.Series)?.Instances ?? 1;
                    var position = recordedCount <= 1 ? 0
                        : (int)Math.Round(r.Instance.Value * (series.Instances.Count - 1) / (double)(recordedCount - 1));
                    position = Math.Clamp(position, 0, series.Instances.Count - 1);
                    plan.Add(new PlannedRequest(plan.Count, r.Kind, Fill(r.Path, study, target, series.Instances[position].SopInstanceUid), r.Accept, target, r.AfterUserAction));
                    continue;
                }
                plan.Add(new PlannedRequest(plan.Count, r.Kind, Fill(r.Path, study, target, null), r.Accept, target, r.AfterUserAction));
            }
        }
        return plan;
    }

    /// <summary>
    /// The target positions 0..count-1 in the order the viewer asked for the recorded series' instances: each target
    /// position takes the request rank of the recorded position nearest to it on the same relative scale.
    /// </summary>
    internal static List<int> FrameOrder(SessionRecording recording, int recordedSeries, int count)
    {
        var recordedOrder = recording.Requests.Where(r => r.Kind == RequestKind.Frame && r.Series == recordedSeries && r.Instance is not null)
            .OrderBy(r => r.Sequence).Select(r => r.Instance!.Value).Distinct().ToList();
        if (recordedOrder.Count == 0)
        {
            return Enumerable.Range(0, count).ToList();
        }

        var recordedCount = Math.Max(recording.Series.FirstOrDefault(s => s.Index == recordedSeries)?.Instances ?? 0, recordedOrder.Max() + 1);
        var rank = new Dictionary<int, int>();
        for (var i = 0; i < recordedOrder.Count; i++)
        {
            rank[recordedOrder[i]] = i;
        }
        // A target position's rank, and its distance from the recorded position it takes the rank of: positions of
        // one rank go nearest first, so a stack read downwards from its last slice is replayed downwards too.
        (int Rank, double Distance) RankOf(int position)
        {
            var x = count == 1 ? 0 : position * (recordedCount - 1) / (double)(count - 1);
            var nearest = rank.OrderBy(p => Math.Abs(p.Key - x)).ThenBy(p => p.Key).First();
            return (nearest.Value, Math.Abs(nearest.Key - x));
        }
        return Enumerable.Range(0, count).Select(p => (Position: p, Key: RankOf(p))).OrderBy(p => p.Key.Rank).ThenBy(p => p.Key.Distance).ThenBy(p => p.Position)
            .Select(p => p.Position).ToList();
    }

    private static string Fill(string path, CatalogueStudy study, int? series, string? instance)
    {
        path = path.Replace("{study}", study.StudyInstanceUid, StringComparison.Ordinal)
            .Replace("{patient}", Uri.EscapeDataString(study.PatientId), StringComparison.Ordinal);
        if (series is { } s)
        {
            path = path.Replace("{series}", study.Series[s].SeriesInstanceUid, StringComparison.Ordinal);
        }

        if (instance is not null)
        {
            path = path.Replace("{instance}", instance, StringComparison.Ordinal);
        }

        return path;
    }

    private static string ReplaceFrameNumber(string path, int frame)
    {
        var i = path.LastIndexOf("/frames/", StringComparison.Ordinal);
        if (i < 0)
        {
            return path;
        }

        var end = path.IndexOfAny(['/', '?'], i + 8);
        return path[..(i + 8)] + frame.ToString(System.Globalization.CultureInfo.InvariantCulture) + (end < 0 ? "" : path[end..]);
    }
}
