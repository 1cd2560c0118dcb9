using System.Globalization;

namespace Pacs.Dicom.Query;

/// <summary>Reads QIDO-RS query parameters (PS3.18 8.3.4) into a <see cref="DicomQuery"/>.</summary>
internal static class QidoParser
{
    private sealed class Node
    {
        public required DicomTag Tag;
        public required DicomVR VR;
        public string? Value;
        public List<Node>? Children;
    }

    public static QueryParseResult Parse(QueryLevel level, IEnumerable<KeyValuePair<string, string>> parameters, QidoScope scope)
    {
        bool fuzzy = false, emptyValue = false, multipleValue = false, includeAll = false;
        int? limit = null;
        var offset = 0;
        var includeFields = new List<DicomTag>();
        var includeReturn = new List<ReturnKey>();
        var matches = new List<(string Name, string Value)>();

        foreach (var (rawName, rawValue) in parameters)
        {
            var name = rawName?.Trim() ?? "";
            var value = rawValue ?? "";
            // Some viewers send "?&..." and so an empty name: nothing to do.
            if (name.Length == 0)
            {
                continue;
            }

            switch (name.ToLowerInvariant())
            {
                case "fuzzymatching":
                    if (!TryBool(name, value, out fuzzy, out var e1))
                    {
                        return e1;
                    }

                    break;
                case "emptyvaluematching":
                    if (!TryBool(name, value, out emptyValue, out var e2))
                    {
                        return e2;
                    }

                    break;
                case "multiplevaluematching":
                    if (!TryBool(name, value, out multipleValue, out var e3))
                    {
                        return e3;
                    }

                    break;
                case "limit":
                    if (!TryUInt(name, value, out var l, out var e4))
                    {
                        return e4;
                    }

                    limit = l;
                    break;
                case "offset":
                    if (!TryUInt(name, value, out offset, out var e5))
                    {
                        return e5;
                    }

                    break;
                case "includefield":
                    foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (part.Equals("all", StringComparison.OrdinalIgnoreCase))
                        {
                            includeAll = true;
                            continue;
                        }
                        if (!TryResolvePath(part, out var path, out var pe))
                        {
                            return pe;
                        }

                        includeFields.Add(path[0].Tag);
                        includeReturn.Add(ToReturnKey(path, 0));
                    }
                    break;
                default:
                    matches.Add((name, value));
                    break;
            }
        }

        var ctx = new MatchingContext(Qido: true, Fuzzy: fuzzy, EmptyValueMatching: emptyValue,
            MultipleValueMatching: multipleValue, Timezone: null);

        // Timezone first: it governs how DT values without offset are read (PS3.18 8.3.4.1, PS3.4 C.4.1.1.3.1).
        TimeSpan? timezone = null;
        foreach (var (n, v) in matches)
        {
            if ((n == "TimezoneOffsetFromUTC" || n == "00080201") && v.Length > 0)
            {
                if (!QueryDateTime.TryParseOffset(v, out var tz))
                {
                    return Error($"'{v}' is not a Timezone Offset From UTC (&ZZXX)", QueryTags.TimezoneOffsetFromUTC);
                }

                timezone = tz;
            }
        }
        ctx = ctx with { Timezone = timezone };

        // Build the attribute tree: "A.B=v" and "A.C=w" share one item of A (PS3.18 8.3.4.1).
        var roots = new List<Node>();
        foreach (var (name, value) in matches)
        {
            if (!TryResolvePath(name, out var path, out var pe))
            {
                return pe;
            }

            var siblings = roots;
            for (var i = 0; i < path.Count; i++)
            {
                var (tag, vr) = path[i];
                var node = siblings.Find(n => n.Tag == tag);
                var last = i == path.Count - 1;
                if (node is null)
                {
                    node = new Node { Tag = tag, VR = vr };
                    siblings.Add(node);
                }
                if (last)
                {
                    if (node.Value is not null || node.Children is not null)
                    {
                        return Error($"'{name}' is given more than once", tag);
                    }

                    node.Value = value;
                }
                else
                {
                    if (node.Value is not null)
                    {
                        return Error($"'{name}' nests into an attribute that also has a value", tag);
                    }

                    siblings = node.Children ??= [];
                }
            }
        }

        var keys = new List<QueryKey>();
        var returnKeys = new List<ReturnKey>();
        foreach (var t in QueryAttributes.QidoDefaults(level))
        {
            returnKeys.Add(new ReturnKey(t, QueryDictionary.GetVR(t)));
        }
        // PS3.18 10.6.3.3: a query not scoped to a study (or series) also returns that level's attributes.
        if (level >= QueryLevel.Series && scope.StudyInstanceUid is null)
        {
            foreach (var t in QueryAttributes.QidoDefaults(QueryLevel.Study))
            {
                returnKeys.Add(new ReturnKey(t, QueryDictionary.GetVR(t)));
            }
        }

        if (level == QueryLevel.Image && scope.SeriesInstanceUid is null)
        {
            foreach (var t in QueryAttributes.QidoDefaults(QueryLevel.Series))
            {
                returnKeys.Add(new ReturnKey(t, QueryDictionary.GetVR(t)));
            }
        }

        foreach (var node in roots)
        {
            var attributeLevel = QueryAttributes.LevelOf(node.Tag, QueryModel.StudyRoot, level);
            if (!TryBuildKey(node, attributeLevel, ctx, out var key, out var error))
            {
                return error;
            }

            if (key is not null)
            {
                keys.Add(key);
            }

            returnKeys.Add(ToReturnKey(node));
        }
        returnKeys.AddRange(includeReturn);

        if (scope.StudyInstanceUid is { } study)
        {
            if (!DicomUids.IsValid(study))
            {
                return Error($"'{study}' is not a valid Study Instance UID", QueryTags.StudyInstanceUID);
            }

            keys.Insert(0, new QueryKey(QueryTags.StudyInstanceUID, DicomVR.UI, new SingleValueMatching(study), QueryLevel.Study));
        }
        if (scope.SeriesInstanceUid is { } series)
        {
            if (!DicomUids.IsValid(series))
            {
                return Error($"'{series}' is not a valid Series Instance UID", QueryTags.SeriesInstanceUID);
            }

            keys.Insert(scope.StudyInstanceUid is null ? 0 : 1,
                new QueryKey(QueryTags.SeriesInstanceUID, DicomVR.UI, new SingleValueMatching(series), QueryLevel.Series));
        }

        // PS3.18 10.6.1.2 refers to PS3.4 C.2.2.2.5.1: a date range with a time range is one date-time range.
        var raw = roots.Where(n => n.Value is not null).ToDictionary(n => n.Tag, n => n.Value!);
        IdentifierParser.CombineDateTime(keys, raw);

        var higher = new List<QueryKey>();
        for (var l = QueryLevel.Study; l < level; l++)
        {
            var unique = keys.FirstOrDefault(k => k.Tag == QueryAttributes.UniqueKey(l));
            if (unique is not null)
            {
                higher.Add(unique);
            }
        }

        return new DicomQuery
        {
            Level = level,
            Model = QueryModel.StudyRoot,
            Keys = keys,
            ReturnKeys = Dedupe(returnKeys),
            HigherLevelUniqueKeys = higher,
            Relational = true, // QIDO searches across levels by design (PS3.18 10.6.1)
            FuzzyMatching = fuzzy,
            IncludeAll = includeAll,
            IncludeFields = includeFields,
            Limit = limit,
            Offset = offset,
            TimezoneOffset = timezone,
        };
    }

    private static bool TryBuildKey(Node node, QueryLevel level, MatchingContext ctx, out QueryKey? key, out QueryError error)
    {
        key = null;
        error = null!;
        if (node.Children is not null)
        {
            if (node.VR != DicomVR.SQ)
            {
                error = Error($"{node.Tag} is not a sequence and cannot hold nested attributes", node.Tag);
                return false;
            }
            var itemKeys = new List<QueryKey>();
            foreach (var child in node.Children)
            {
                if (!TryBuildKey(child, level, ctx, out var k, out error))
                {
                    return false;
                }

                if (k is not null)
                {
                    itemKeys.Add(k);
                }
            }
            if (itemKeys.Count > 0)
            {
                key = new QueryKey(node.Tag, DicomVR.SQ, new SequenceMatching(itemKeys), level);
            }

            return true;
        }
        var value = node.Value ?? "";
        if (value.Length == 0 || QueryAttributes.IsReturnOnly(node.Tag))
        {
            return true;
        }

        if (node.VR == DicomVR.SQ)
        {
            error = Error($"{node.Tag} is a sequence: match on its attributes (Sequence.Attribute=value)", node.Tag);
            return false;
        }
        if (node.VR == DicomVR.UN || !node.VR.IsKnown)
        {
            error = Error($"{node.Tag} is not an attribute this archive can match on", node.Tag);
            return false;
        }
        if (!MatchingParser.TryParse(value, node.VR, ctx, out var matching, out var message))
        {
            error = Error($"{node.Tag}: {message}", node.Tag);
            return false;
        }
        if (matching is not UniversalMatching)
        {
            key = new QueryKey(node.Tag, node.VR, matching, level);
        }

        return true;
    }

    private static ReturnKey ToReturnKey(Node node) =>
        node.Children is null
            ? new ReturnKey(node.Tag, node.VR)
            : new ReturnKey(node.Tag, node.VR, node.Children.Select(ToReturnKey).ToArray());

    private static ReturnKey ToReturnKey(List<(DicomTag Tag, DicomVR VR)> path, int i) =>
        i == path.Count - 1
            ? new ReturnKey(path[i].Tag, path[i].VR)
            : new ReturnKey(path[i].Tag, path[i].VR, [ToReturnKey(path, i + 1)]);

    /// <summary>Merges return keys by tag, keeping the first position; a whole sequence wins over a partial one.</summary>
    private static List<ReturnKey> Dedupe(List<ReturnKey> keys)
    {
        var result = new List<ReturnKey>(keys.Count);
        foreach (var k in keys)
        {
            var i = result.FindIndex(r => r.Tag == k.Tag);
            if (i < 0)
            {
                result.Add(k);
                continue;
            }
            var existing = result[i];
            if (existing.ItemKeys is null)
            {
                continue;
            }

            if (k.ItemKeys is null)
            {
                result[i] = k;
            }
            else
            {
                result[i] = existing with { ItemKeys = Dedupe([.. existing.ItemKeys, .. k.ItemKeys]) };
            }
        }
        return result;
    }

    /// <summary>"PatientName", "00100010", "ReferencedStudySequence.ReferencedSOPClassUID", "00081110.00081150".</summary>
    private static bool TryResolvePath(string text, out List<(DicomTag Tag, DicomVR VR)> path, out QueryError error)
    {
        path = [];
        error = null!;
        foreach (var id in text.Split('.'))
        {
            if (id.Length == 8 && DicomTag.TryParse(id, out var tag))
            {
                path.Add((tag, QueryDictionary.GetVR(tag)));
                continue;
            }
            if (QueryDictionary.TryGetByKeyword(id, out tag, out var vr))
            {
                path.Add((tag, vr));
                continue;
            }
            error = Error($"'{id}' is not a known attribute keyword or tag (in '{text}')", null);
            return false;
        }
        for (var i = 0; i < path.Count - 1; i++)
        {
            if (path[i].VR != DicomVR.SQ)
            {
                error = Error($"'{text}': {path[i].Tag} is not a sequence", path[i].Tag);
                return false;
            }
        }
        return true;
    }

    private static bool TryBool(string name, string value, out bool result, out QueryError error)
    {
        error = null!;
        if (bool.TryParse(value.Trim(), out result))
        {
            return true;
        }

        error = Error($"{name} must be true or false, not '{value}'", null);
        return false;
    }

    private static bool TryUInt(string name, string value, out int result, out QueryError error)
    {
        error = null!;
        if (int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out result))
        {
            return true;
        }

        error = Error($"{name} must be a non-negative integer, not '{value}'", null);
        return false;
    }

    private static QueryError Error(string message, DicomTag? tag) => new(QueryErrorKind.InvalidQueryParameter, message, tag);
}
