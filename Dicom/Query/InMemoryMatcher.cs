namespace Pacs.Dicom.Query;

/// <summary>
/// The reference implementation of <see cref="DicomQuery"/> over data sets held in memory: what tests (and test
/// handlers holding known data) compare the archive's SQL against. The candidate is one flat data set holding the
/// attributes of the entity and of its parents (a study record with its patient's attributes, ...).
/// </summary>
public static class InMemoryMatcher
{
    /// <summary>True when <paramref name="candidate"/> satisfies every key of <paramref name="query"/>.</summary>
    public static bool Matches(DicomQuery query, DicomDataset candidate)
    {
        var tz = CandidateOffset(candidate);
        foreach (var key in query.Keys)
        {
            if (!MatchesKey(key, candidate, tz))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The response identifier: the return keys only, each copied from the candidate or, when the candidate lacks
    /// it, present with zero length (PS3.4 C.4.1.1.3.2). Query/Retrieve Level, Specific Character Set and
    /// Retrieve AE Title are left to the caller, which knows the character set the values are encoded in.
    /// </summary>
    public static DicomDataset Project(DicomQuery query, DicomDataset candidate)
    {
        var result = new DicomDataset(query.ReturnKeys.Count);
        if (query.IncludeAll)
        {
            foreach (var e in candidate)
            {
                if (!QueryAttributes.IsControlElement(e.Tag))
                {
                    result.Set(CopyElement(e));
                }
            }
        }
        foreach (var rk in query.ReturnKeys)
        {
            if (QueryAttributes.IsControlElement(rk.Tag))
            {
                continue;
            }

            if (query.IncludeAll && result.Contains(rk.Tag))
            {
                continue;
            }

            result.Set(ProjectKey(rk, candidate));
        }
        return result;
    }

    private static DicomElement ProjectKey(ReturnKey rk, DicomDataset candidate)
    {
        if (!candidate.TryGetElement(rk.Tag, out var e))
        {
            return rk.VR == DicomVR.SQ ? new DicomElement(rk.Tag, new DicomSequence()) : new DicomElement(rk.Tag, rk.VR, ReadOnlyMemory<byte>.Empty);
        }

        if (e.Sequence is { } sq && rk.ItemKeys is { } itemKeys)
        {
            var items = new List<DicomDataset>(sq.Items.Count);
            foreach (var item in sq.Items)
            {
                var projected = new DicomDataset(itemKeys.Count) { InheritedCharacterSet = item.CharacterSet };
                foreach (var ik in itemKeys)
                {
                    projected.Set(ProjectKey(ik, item));
                }

                items.Add(projected);
            }
            return new DicomElement(rk.Tag, new DicomSequence(items));
        }
        return CopyElement(e);
    }

    private static DicomElement CopyElement(in DicomElement e)
    {
        if (e.Sequence is not { } sq)
        {
            return e;
        }

        var items = new List<DicomDataset>(sq.Items.Count);
        foreach (var item in sq.Items)
        {
            items.Add(item.Clone());
        }

        return new DicomElement(e.Tag, new DicomSequence(items) { UndefinedLength = sq.UndefinedLength });
    }

    private static TimeSpan CandidateOffset(DicomDataset candidate)
    {
        var tz = candidate.GetString(QueryTags.TimezoneOffsetFromUTC);
        return tz is not null && QueryDateTime.TryParseOffset(tz, out var offset) ? offset : TimeSpan.Zero;
    }

    private static bool MatchesKey(QueryKey key, DicomDataset candidate, TimeSpan candidateOffset)
    {
        switch (key.Matching)
        {
            case UniversalMatching:
                return true;
            case EmptyValueMatching:
                return !candidate.TryGetElement(key.Tag, out var empty)
                    || (empty.Sequence is { } esq ? esq.Items.Count == 0 : empty.Length == 0);
            case SequenceMatching seq:
                {
                    if (candidate.GetSequence(key.Tag) is not { } sq)
                    {
                        return false;
                    }

                    foreach (var item in sq.Items)
                    {
                        var all = true;
                        foreach (var k in seq.ItemKeys)
                        {
                            if (!MatchesKey(k, item, candidateOffset)) { all = false; break; }
                        }
                        if (all)
                        {
                            return true;
                        }
                    }
                    return false;
                }
            case CombinedDateTimeRangeMatching combined:
                return MatchesCombined(combined, key.Tag, candidate);
        }

        // Multi-valued candidates match when any one value does (e.g. ModalitiesInStudy, PS3.4 C.6.2.1.2).
        foreach (var value in CandidateValues(candidate, key.Tag, key.VR))
        {
            if (MatchesValue(key.Matching, key.VR, value, candidateOffset))
            {
                return true;
            }
        }

        return false;
    }

    private static string[] CandidateValues(DicomDataset candidate, DicomTag tag, DicomVR keyVR)
    {
        if (!candidate.TryGetElement(tag, out var e) || e.Payload is not null)
        {
            return [];
        }

        if (e.VR.IsBinaryNumber)
        {
            return MatchingParser.FormatNumbers(e).Split('\\', StringSplitOptions.RemoveEmptyEntries);
        }

        var vr = e.VR == DicomVR.UN ? keyVR : e.VR;
        if (vr.IsBinaryNumber)
        {
            return MatchingParser.FormatNumbers(new DicomElement(tag, vr, e.Value)).Split('\\', StringSplitOptions.RemoveEmptyEntries);
        }

        var text = candidate.DecodeString(new DicomElement(tag, vr, e.Value));
        if (text.Length == 0)
        {
            return [];
        }

        if (vr.IsSingleValueText)
        {
            return [text];
        }

        var parts = text.Split('\\');
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = DicomDataset.TrimValue(parts[i], vr);
        }

        return parts;
    }

    private static bool MatchesValue(Matching matching, DicomVR vr, string value, TimeSpan candidateOffset)
    {
        switch (matching)
        {
            case SingleValueMatching single:
                if (vr == DicomVR.PN)
                {
                    return PersonNameMatch.MatchesSingle(single.Value, value);
                }

                if (vr == DicomVR.IS || vr == DicomVR.DS || vr.IsBinaryNumber)
                {
                    return NumbersEqual(single.Value, value);
                }

                return string.Equals(single.Value, value, StringComparison.Ordinal);
            case WildcardMatching wildcard:
                return vr == DicomVR.PN
                    ? PersonNameMatch.MatchesWildcard(wildcard.Pattern, value)
                    : Wildcard.IsMatch(wildcard.Pattern, value);
            case FuzzyPersonNameMatching fuzzy:
                return PersonNameMatch.MatchesFuzzy(fuzzy.Words, value);
            case ListOfUidMatching list:
                foreach (var uid in list.Uids)
                {
                    if (string.Equals(uid, value, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }

                return false;
            case MultipleValueMatching multiple:
                foreach (var alternative in multiple.Alternatives)
                {
                    if (MatchesValue(alternative, vr, value, candidateOffset))
                    {
                        return true;
                    }
                }

                return false;
            case DateRangeMatching dates:
                return QueryDateTime.TryParseDate(value, out var d)
                    && (dates.Lower is not { } dl || d >= dl) && (dates.Upper is not { } du || d <= du);
            case TimeRangeMatching times:
                // A stored time is compared by the instant it starts at ("1030" is 10:30:00).
                return QueryDateTime.TryParseTime(value, out var t, out _)
                    && (times.Lower is not { } tl || t >= tl) && (times.Upper is not { } tu || t <= tu);
            case DateTimeRangeMatching dateTimes:
                return QueryDateTime.TryParseDateTime(value, candidateOffset, out var dt, out _)
                    && (dateTimes.Lower is not { } xl || dt >= xl) && (dateTimes.Upper is not { } xu || dt <= xu);
            default:
                return false;
        }
    }

    private static bool MatchesCombined(CombinedDateTimeRangeMatching m, DicomTag dateTag, DicomDataset candidate)
    {
        foreach (var dateText in CandidateValues(candidate, dateTag, DicomVR.DA))
        {
            if (!QueryDateTime.TryParseDate(dateText, out var date))
            {
                continue;
            }

            var timeText = candidate.GetString(m.TimeTag);
            DateTime first, last;
            if (!string.IsNullOrEmpty(timeText) && QueryDateTime.TryParseTime(timeText.Split('\\')[0], out var t, out _))
            {
                first = last = date.ToDateTime(t);
            }
            else
            {
                // No time: the entity spans its whole day, and matches if the day meets the range.
                first = date.ToDateTime(TimeOnly.MinValue);
                last = date.ToDateTime(TimeOnly.MaxValue);
            }
            if ((m.Lower is not { } lo || last >= lo) && (m.Upper is not { } hi || first <= hi))
            {
                return true;
            }
        }
        return false;
    }

    private static bool NumbersEqual(string a, string b) =>
        decimal.TryParse(a, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x)
        && decimal.TryParse(b, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var y)
            ? x == y
            : string.Equals(a.Trim(), b.Trim(), StringComparison.Ordinal);
}
