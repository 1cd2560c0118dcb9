namespace Pacs.Dicom.Query;

/// <summary>Reads a DIMSE request identifier into a <see cref="DicomQuery"/> (PS3.4 C.4.1.1.3, C.4.1.2, C.4.1.3).</summary>
internal static class IdentifierParser
{
    public static QueryParseResult Parse(DicomDataset identifier, string affectedSopClassUid, DimseQueryOptions options)
    {
        if (!QueryRetrieveSopClass.TryGetModel(affectedSopClassUid, out var model))
        {
            return new QueryError(QueryErrorKind.SopClassNotSupported, $"'{affectedSopClassUid}' is not a Query/Retrieve SOP class");
        }

        if (model == QueryModel.PatientStudyOnly)
        {
            return new QueryError(QueryErrorKind.SopClassNotSupported, "the Patient/Study Only information model is retired (PS3.4 C.6.3) and not supported");
        }

        var levelText = identifier.GetString(QueryTags.QueryRetrieveLevel);
        if (levelText is null)
        {
            return new QueryError(QueryErrorKind.IdentifierDoesNotMatchSopClass, "Query/Retrieve Level is missing", QueryTags.QueryRetrieveLevel);
        }

        if (!QueryLevels.TryParse(levelText, out var level))
        {
            return new QueryError(QueryErrorKind.IdentifierDoesNotMatchSopClass, $"'{levelText}' is not a Query/Retrieve Level", QueryTags.QueryRetrieveLevel);
        }
        // PS3.4 C.6.2.1: the Study Root model has no Patient level.
        if (model == QueryModel.StudyRoot && level == QueryLevel.Patient)
        {
            return new QueryError(QueryErrorKind.IdentifierDoesNotMatchSopClass, "PATIENT level is not part of the Study Root information model", QueryTags.QueryRetrieveLevel);
        }

        TimeSpan? timezone = null;
        var tzText = identifier.GetString(QueryTags.TimezoneOffsetFromUTC);
        if (!string.IsNullOrEmpty(tzText))
        {
            if (!QueryDateTime.TryParseOffset(tzText, out var tz))
            {
                return new QueryError(QueryErrorKind.UnableToProcess, $"'{tzText}' is not a Timezone Offset From UTC (&ZZXX)", QueryTags.TimezoneOffsetFromUTC);
            }

            timezone = tz;
        }

        var ctx = new MatchingContext(Qido: false, Fuzzy: options.FuzzySemanticMatching,
            EmptyValueMatching: options.EmptyValueMatching, MultipleValueMatching: false, Timezone: timezone);

        var keys = new List<QueryKey>();
        var returnKeys = new List<ReturnKey>();
        var rawValues = new Dictionary<DicomTag, string>();
        foreach (var element in identifier)
        {
            var tag = element.Tag;
            if (QueryAttributes.IsControlElement(tag))
            {
                continue;
            }
            // Private attributes are neither matched nor returned: their meaning depends on a creator we do not know.
            if (tag.IsPrivate)
            {
                continue;
            }

            var attributeLevel = QueryAttributes.LevelOf(tag, model, level);
            var vr = QueryDictionary.ResolveVR(tag, element.VR);
            if (!TryReadKey(identifier, element, vr, attributeLevel, ctx, out var key, out var returnKey, out var raw, out var error))
            {
                return error;
            }

            returnKeys.Add(returnKey);
            if (raw is not null)
            {
                rawValues[tag] = raw;
            }

            if (key is null)
            {
                continue;
            }
            // Keys below the queried level do not exist in a hierarchical query (PS3.4 C.4.1.3.1); lenient policy:
            // they are returned but do not constrain.
            if (!options.Relational && attributeLevel > level)
            {
                continue;
            }

            keys.Add(key);
        }

        // Lenient policy for the hierarchical query as workstations send it: an IMAGE (or SERIES) query that fixes the
        // study by a single Study Instance UID but leaves out the keys between (Series Instance UID, Patient ID) is
        // answered across the study instead of refused (stated in the conformance statement).
        var studyFixed = keys.Any(k => k.Tag == QueryAttributes.UniqueKey(QueryLevel.Study) && k.Matching is SingleValueMatching);
        var higher = new List<QueryKey>();
        var top = model == QueryModel.StudyRoot ? QueryLevel.Study : QueryLevel.Patient;
        for (var l = top; l < level; l++)
        {
            var uniqueTag = QueryAttributes.UniqueKey(l);
            var uniqueKey = keys.FirstOrDefault(k => k.Tag == uniqueTag);
            if (uniqueKey is not null && uniqueKey.Matching is SingleValueMatching)
            {
                higher.Add(uniqueKey);
                continue;
            }
            // PS3.4 C.4.1.3.1: in a hierarchical query every level above the queried one is fixed by a single value
            // of its unique key. A relational query may leave it out or give any matching (C.4.1.3.2).
            if (options.Relational)
            {
                if (uniqueKey is not null)
                {
                    higher.Add(uniqueKey);
                }

                continue;
            }
            if (uniqueKey is null && studyFixed)
            {
                continue;
            }

            return new QueryError(QueryErrorKind.IdentifierDoesNotMatchSopClass,
                $"a hierarchical {level.ToCode()} query needs a single value in the unique key of the {l.ToCode()} level",
                uniqueTag);
        }

        if (options.CombinedDateTimeMatching)
        {
            CombineDateTime(keys, rawValues);
        }

        return new DicomQuery
        {
            Level = level,
            Model = model,
            Keys = keys,
            ReturnKeys = returnKeys,
            HigherLevelUniqueKeys = higher,
            Relational = options.Relational,
            FuzzyMatching = options.FuzzySemanticMatching,
            TimezoneOffset = timezone,
        };
    }

    private static bool TryReadKey(DicomDataset dataset, in DicomElement element, DicomVR vr, QueryLevel level, MatchingContext ctx,
        out QueryKey? key, out ReturnKey returnKey, out string? raw, out QueryError error)
    {
        key = null;
        raw = null;
        error = null!;
        var tag = element.Tag;
        if (vr == DicomVR.SQ || element.Sequence is not null)
        {
            var sq = element.Sequence;
            if (sq is null || sq.Items.Count == 0)
            {
                // PS3.4 C.2.2.2.6: a sequence with no item is universal; the whole sequence is returned.
                returnKey = new ReturnKey(tag, DicomVR.SQ);
                return true;
            }
            if (sq.Items.Count > 1)
            {
                returnKey = new ReturnKey(tag, DicomVR.SQ);
                error = new QueryError(QueryErrorKind.UnableToProcess, "a sequence key holds more than one item (PS3.4 C.2.2.2.6)", tag);
                return false;
            }
            var item = sq.Items[0];
            var itemKeys = new List<QueryKey>();
            var itemReturn = new List<ReturnKey>();
            foreach (var e in item)
            {
                if (e.Tag.IsGroupLength || e.Tag.IsPrivate || e.Tag == QueryTags.SpecificCharacterSet)
                {
                    continue;
                }

                var evr = QueryDictionary.ResolveVR(e.Tag, e.VR);
                if (!TryReadKey(item, e, evr, level, ctx, out var k, out var rk, out _, out error))
                {
                    return Fail(tag, out returnKey);
                }

                itemReturn.Add(rk);
                if (k is not null)
                {
                    itemKeys.Add(k);
                }
            }
            returnKey = new ReturnKey(tag, DicomVR.SQ, itemReturn);
            if (itemKeys.Count > 0)
            {
                key = new QueryKey(tag, DicomVR.SQ, new SequenceMatching(itemKeys), level);
            }

            return true;
        }

        returnKey = new ReturnKey(tag, vr);
        if (QueryAttributes.IsReturnOnly(tag))
        {
            return true;
        }

        raw = ReadValue(dataset, element, vr);
        if (!MatchingParser.TryParse(raw, vr, ctx, out var matching, out var message))
        {
            error = new QueryError(QueryErrorKind.UnableToProcess, message!, tag);
            return false;
        }
        if (matching is not UniversalMatching)
        {
            key = new QueryKey(tag, vr, matching, level);
        }

        return true;
    }

    private static bool Fail(DicomTag tag, out ReturnKey returnKey)
    {
        returnKey = new ReturnKey(tag, DicomVR.SQ);
        return false;
    }

    /// <summary>The key value as text, decoded with the identifier's character set under the resolved VR.</summary>
    private static string ReadValue(DicomDataset dataset, in DicomElement element, DicomVR vr)
    {
        if (element.Value.Length == 0)
        {
            return "";
        }

        if (vr.IsBinaryNumber)
        {
            return MatchingParser.FormatNumbers(new DicomElement(element.Tag, vr, element.Value));
        }

        if (!vr.IsString)
        {
            return "";
        }
        // Implicit VR identifiers arrive as UN until the dictionary knows the tag: decode under the resolved VR.
        return dataset.DecodeString(new DicomElement(element.Tag, vr, element.Value));
    }

    /// <summary>
    /// PS3.4 C.2.2.2.5.1: a DA range and the range of its TM partner read as one date-time range. Applies only when
    /// both keys are ranges; the time key then stops constraining on its own.
    /// </summary>
    internal static void CombineDateTime(List<QueryKey> keys, IReadOnlyDictionary<DicomTag, string> rawValues)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            var dateKey = keys[i];
            if (dateKey.Matching is not DateRangeMatching dates)
            {
                continue;
            }

            if (!QueryAttributes.TryGetTimePartner(dateKey.Tag, out var timeTag))
            {
                continue;
            }

            var j = keys.FindIndex(k => k.Tag == timeTag);
            if (j < 0 || keys[j].Matching is not TimeRangeMatching times)
            {
                continue;
            }

            if (!IsRange(rawValues, dateKey.Tag) || !IsRange(rawValues, timeTag))
            {
                continue;
            }

            DateTime? lower = dates.Lower is { } dl ? dl.ToDateTime(times.Lower ?? TimeOnly.MinValue) : null;
            DateTime? upper = dates.Upper is { } du ? du.ToDateTime(times.Upper ?? TimeOnly.MaxValue) : null;
            keys[i] = dateKey with { Matching = new CombinedDateTimeRangeMatching(timeTag, lower, upper) };
            keys.RemoveAt(j);
            if (j < i)
            {
                i--;
            }
        }
    }

    private static bool IsRange(IReadOnlyDictionary<DicomTag, string> raw, DicomTag tag) =>
        raw.TryGetValue(tag, out var v) && v.Contains('-');
}
