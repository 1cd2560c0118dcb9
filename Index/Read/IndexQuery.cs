using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Pacs.Dicom;
using Pacs.Dicom.Query;
using Pacs.Grains.Accounts;

namespace Pacs.Index.Read;

/// <summary>
/// Translates a <see cref="DicomQuery"/> (C-FIND or QIDO) into one SQL statement over the index tables of
/// 0100_index.sql. Keys with an index column are matched in SQL exactly as <see cref="InMemoryMatcher"/> matches
/// them; keys that SQL cannot express the same way are left in <see cref="PostFilterKeys"/> for the caller to
/// check with <see cref="InMemoryMatcher"/> on the candidate (some of them after an SQL pre-filter that only ever
/// widens). Paging (QIDO limit/offset) is done in SQL only when nothing is post-filtered.
/// </summary>
public sealed class IndexQuery
{
    private IndexQuery(DicomQuery query, IndexQueryShape shape, string sql, IReadOnlyList<NpgsqlParameter> parameters,
        IReadOnlyList<QueryKey> postFilterKeys, IReadOnlyList<QueryKey> ignoredKeys, bool pagedInSql, IReadOnlyList<DicomTag>? projection)
    {
        Projection = projection;
        Query = query;
        Shape = shape;
        Sql = sql;
        Parameters = parameters;
        PostFilterKeys = postFilterKeys;
        IgnoredKeys = ignoredKeys;
        PagedInSql = pagedInSql;
    }

    public DicomQuery Query { get; }
    public IndexQueryShape Shape { get; }
    public string Sql { get; }
    public IReadOnlyList<NpgsqlParameter> Parameters { get; }

    /// <summary>Keys the caller must still check with <see cref="InMemoryMatcher"/> on each row's candidate.</summary>
    public IReadOnlyList<QueryKey> PostFilterKeys { get; }

    /// <summary>
    /// Relational keys below the queried level that have no index column: a row's candidate does not hold them, so
    /// they cannot be checked at all and constrain nothing (stated in the conformance statement).
    /// </summary>
    public IReadOnlyList<QueryKey> IgnoredKeys { get; }

    /// <summary>True when limit/offset were applied in SQL; otherwise the caller pages after post-filtering.</summary>
    public bool PagedInSql { get; }

    /// <summary>
    /// The attributes a Candidates row carries, one column each after the level's derived columns (from
    /// <see cref="ProjectionOrdinal"/> on, in this order), each the attribute's DICOM JSON or null; null when the
    /// row carries the whole merged JSON in column <see cref="JsonOrdinal"/> instead (IMAGE level, includefield=all).
    /// </summary>
    public IReadOnlyList<DicomTag>? Projection { get; }

    /// <summary>The first projected column of a Candidates row (<see cref="Projection"/>).</summary>
    internal int ProjectionOrdinal => Query.Level switch
    {
        QueryLevel.Patient => 5,
        QueryLevel.Study => 7,
        QueryLevel.Series => 5,
        _ => throw new InvalidOperationException("IMAGE rows carry the whole JSON"),
    };

    /// <summary>A query with only <see cref="PostFilterKeys"/>, for <see cref="InMemoryMatcher.Matches"/>.</summary>
    public DicomQuery? PostFilter => PostFilterKeys.Count == 0 ? null : new DicomQuery
    {
        Level = Query.Level,
        Model = Query.Model,
        Keys = PostFilterKeys,
        ReturnKeys = Query.ReturnKeys,
        TimezoneOffset = Query.TimezoneOffset,
    };

    // Column order of every Candidates row: key, json, then the level's derived values.
    internal const int KeyOrdinal = 0;
    internal const int JsonOrdinal = 1;

    // Columns 2 to 7 of every instance row, in both shapes: what IndexReader reads as an IndexedInstance.
    private const string InstanceColumns = ", i.sop_class_uid, i.sop_instance_uid, i.transfer_syntax_uid, i.blob_key, s.study_instance_uid, se.series_instance_uid";
    private const string InstanceFrom = " from pacs_instances i join pacs_series se on se.series_key = i.series_key join pacs_studies s on s.study_key = i.study_key join pacs_patients p on p.patient_key = s.patient_key";

    /// <summary>
    /// The instance a series or study thumbnail shows (PS3.18 10.4.1.1.4 leaves the choice to the origin server), in
    /// the columns of the Instances shape: the middle instance by Instance Number, images first; for a study, that of
    /// its first series (by Series Number) with images.
    /// </summary>
    public static (string Sql, NpgsqlParameter[] Parameters) Representative(string study, string? series)
    {
        var scope = series is null
            ? """
              i.series_key = (select se.series_key from pacs_series se join pacs_studies s on s.study_key = se.study_key
                  where s.study_instance_uid = @study
                  order by not exists (select 1 from pacs_instances i where i.series_key = se.series_key and i.rows is not null),
                           se.series_number nulls last, se.series_instance_uid
                  limit 1)
              """
            : "s.study_instance_uid = @study and se.series_instance_uid = @series";
        var sql = $"""
            select * from (
                select i.instance_key, null::jsonb{InstanceColumns},
                       row_number() over (order by i.rows is null, i.instance_number nulls last, i.sop_instance_uid) as n, count(*) over () as total
                {InstanceFrom} where {scope}) x
            where n = (total + 1) / 2
            """;
        return (sql, series is null ? [new("study", study)] : [new("study", study), new("series", series)]);
    }

    /// <param name="accessGroups">
    /// The caller's access groups: only studies sharing one of them match, in the statement itself, so that neither
    /// rows nor counts of other sites' studies leave the database. Null: every study (an account with "*", an admin,
    /// a DICOM node): no filter at all.
    /// </param>
    public static IndexQuery Build(DicomQuery query, IndexQueryShape shape = IndexQueryShape.Candidates, IReadOnlyList<string>? accessGroups = null)
    {
        var builder = new Builder(query.Level);
        if (accessGroups is not null)
        {
            var groups = GroupsLiteral(accessGroups);
            builder.Where.Add(query.Level == QueryLevel.Patient
                ? builder.Below(QueryLevel.Study, $"s.access_groups && {groups}")
                : $"s.access_groups && {groups}");
        }
        var post = new List<QueryKey>();
        var ignored = new List<QueryKey>();
        foreach (var key in query.Keys)
        {
            if (key.Matching is UniversalMatching)
            {
                continue;
            }

            var column = IndexColumns.Find(key.Tag);
            if (column is null)
            {
                // Attributes without a column are matched on the candidate, which holds only this level and above.
                if (TableLevel(key, query) > query.Level)
                {
                    ignored.Add(key);
                }
                else
                {
                    post.Add(key);
                }

                continue;
            }
            var c = column.Value;
            if (c.Level > query.Level)
            {
                // Relational key below the queried level (PS3.4 C.4.1.2.2): some entity below must match.
                var condition = builder.Condition(c, key.Matching, out var exact);
                if (condition is not null)
                {
                    builder.Where.Add(builder.Below(c.Level, condition));
                }

                if (!exact)
                {
                    ignored.Add(key);
                }

                continue;
            }
            var cond = builder.Condition(c, key.Matching, out var isExact);
            if (cond is not null)
            {
                builder.Where.Add(cond);
            }

            if (!isExact)
            {
                post.Add(key);
            }
        }

        var pagedInSql = post.Count == 0;
        var projection = shape == IndexQueryShape.Candidates ? ProjectedTags(query, post) : null;
        var sql = builder.Compose(shape, pagedInSql ? query.Limit : null, pagedInSql ? query.Offset : 0, withJson: shape == IndexQueryShape.Candidates || post.Count > 0, projection);
        return new IndexQuery(query, shape, sql, builder.Parameters, post, ignored, pagedInSql, projection);
    }

    /// <summary>
    /// What a candidate must hold: the return keys (a C-FIND response carries the requested keys only, PS3.4
    /// C.4.1.1.3.2; QIDO its defaults, match keys and includefield, PS3.18 10.6.3.3), the keys checked on it, and the
    /// Timezone Offset From UTC those checks read. Read from the JSON one attribute each rather than the merged
    /// documents whole: a study's row then costs the few values asked for, not every attribute of patient and study
    /// built, sent and parsed back. Null (the whole JSON) for includefield=all, and at IMAGE level, where the header
    /// is large and stored compressed: each attribute read would decompress it again.
    /// </summary>
    private static List<DicomTag>? ProjectedTags(DicomQuery query, List<QueryKey> post)
    {
        if (query.IncludeAll || query.Level == QueryLevel.Image)
        {
            return null;
        }

        var tags = new List<DicomTag>(query.ReturnKeys.Count + post.Count + 1);
        void Add(DicomTag tag)
        {
            // The merged JSON never carried (0008,0005) either: every value in the index is Unicode.
            if (tag != DicomTag.SpecificCharacterSet && !tags.Contains(tag))
            {
                tags.Add(tag);
            }
        }

        foreach (var rk in query.ReturnKeys)
        {
            Add(rk.Tag);
        }

        if (post.Count > 0)
        {
            foreach (var key in post)
            {
                Add(key.Tag);
            }

            Add(DicomTag.TimezoneOffsetFromUTC);
        }

        return tags;
    }

    /// <summary>
    /// The groups as an SQL array literal, not a parameter. The statements are prepared (Npgsql auto-prepare), and in a
    /// prepared statement's generic plan PostgreSQL cannot know a parameter's value: it takes "access_groups &amp;&amp;
    /// $n" to select 1 % of the studies (its fixed default for array overlap) whatever the groups are, which for a
    /// doctor of every site (who selects nearly all of them) is off 100-fold: by patient name the plan starts from the
    /// GIN index and hashes every study, and with a small limit the generic plan looks cheap enough to be kept (the
    /// 1.8x in docs/benchmarks.md, "QIDO with access-group filtering"; confirmed there by EXPLAIN on the harness data,
    /// loadtests/qido-groups-explain.sh). With the literal the planner uses the column's statistics in every plan. Safe to
    /// inline: only names of <see cref="AccessGroups.IsValidName"/> (a-z, 0-9, '-', '_', '.') are kept, anything else is
    /// dropped (and matches nothing); sorted and distinct, so an account's statements are the same text every time.
    /// </summary>
    internal static string GroupsLiteral(IReadOnlyList<string> accessGroups)
    {
        var names = accessGroups.Where(AccessGroups.IsValidName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return names.Count == 0 ? "'{}'::text[]" : "array[" + string.Join(",", names.Select(n => "'" + n + "'")) + "]::text[]";
    }

    /// <summary>
    /// The strings that start with the literal prefix of a wildcard pattern (before its first '*' or '?') as
    /// [low, high): high is the prefix with its last code point raised by one (UTF-8 byte order is code point
    /// order), null when no string is above them all. None when the pattern starts with a wildcard.
    /// </summary>
    internal static (string Low, string? High)? PrefixRange(string pattern)
    {
        var end = pattern.AsSpan().IndexOfAny('*', '?');
        var prefix = end < 0 ? pattern : pattern[..end];
        if (prefix.Length == 0)
        {
            return null;
        }

        var runes = new List<Rune>();
        foreach (var r in prefix.EnumerateRunes())
        {
            runes.Add(r);
        }

        while (runes.Count > 0 && runes[^1].Value == 0x10FFFF)
        {
            runes.RemoveAt(runes.Count - 1);
        }

        if (runes.Count == 0)
        {
            return (prefix, null);
        }

        var last = runes[^1].Value + 1;
        runes[^1] = new Rune(last == 0xD800 ? 0xE000 : last); // the surrogates are no code points of their own
        var high = new StringBuilder(prefix.Length + 1);
        foreach (var r in runes)
        {
            high.Append(r.ToString());
        }

        return (prefix, high.ToString());
    }

    private static QueryLevel TableLevel(QueryKey key, DicomQuery query) =>
        // Study Root puts patient attributes at study level; the tables keep them with the patient.
        QueryAttributes.LevelOf(key.Tag) is QueryLevel.Patient ? QueryLevel.Patient : key.Level;

    private sealed class Builder(QueryLevel level)
    {
        public List<string> Where { get; } = [];
        public List<NpgsqlParameter> Parameters { get; } = [];

        public string Param(object value, NpgsqlDbType? type = null)
        {
            var name = "p" + Parameters.Count.ToString(CultureInfo.InvariantCulture);
            var p = new NpgsqlParameter(name, value);
            if (type is { } t)
            {
                p.NpgsqlDbType = t;
            }

            Parameters.Add(p);
            return "@" + name;
        }

        /// <summary>EXISTS over the entities of <paramref name="below"/> under the queried entity.</summary>
        public string Below(QueryLevel below, string condition)
        {
            var sb = new StringBuilder("exists (select 1 from ");
            switch (level, below)
            {
                case (QueryLevel.Patient, QueryLevel.Study):
                    sb.Append("pacs_studies s where s.patient_key = p.patient_key");
                    break;
                case (QueryLevel.Patient, QueryLevel.Series):
                    sb.Append("pacs_studies s join pacs_series se on se.study_key = s.study_key where s.patient_key = p.patient_key");
                    break;
                case (QueryLevel.Patient, _):
                    sb.Append("pacs_studies s join pacs_instances i on i.study_key = s.study_key join pacs_series se on se.series_key = i.series_key where s.patient_key = p.patient_key");
                    break;
                case (QueryLevel.Study, QueryLevel.Series):
                    sb.Append("pacs_series se where se.study_key = s.study_key");
                    break;
                case (QueryLevel.Study, _):
                    sb.Append("pacs_instances i where i.study_key = s.study_key");
                    break;
                default:
                    sb.Append("pacs_instances i where i.series_key = se.series_key");
                    break;
            }
            return sb.Append(" and ").Append(condition).Append(')').ToString();
        }

        /// <summary>The SQL for one key; <paramref name="exact"/> false when the SQL only narrows (or is null).</summary>
        public string? Condition(IndexColumn c, Matching matching, out bool exact)
        {
            var e = new Exactness();
            var sql = ConditionCore(c, matching, e);
            exact = e.Value && sql is not null;
            return sql;
        }

        private string? ConditionCore(IndexColumn c, Matching matching, Exactness exact)
        {
            switch (c.Kind)
            {
                case ColumnKind.Text:
                    return TextCondition(c.Sql, matching, exact);
                case ColumnKind.PersonName:
                    return PersonNameCondition(c.Sql, matching, exact);
                case ColumnKind.Date:
                    return DateCondition(c.Sql, matching, exact);
                case ColumnKind.DateText:
                    return DateTextCondition(c.Sql, matching, exact);
                case ColumnKind.Integer:
                    return IntegerCondition(c.Sql, matching, exact);
                case ColumnKind.TextArray:
                    return ArrayCondition(c.Sql, matching, exact);
                default:
                    return null;
            }
        }

        private string? TextCondition(string col, Matching matching, Exactness exact)
        {
            switch (matching)
            {
                case SingleValueMatching s:
                    return $"{col} = {Param(s.Value)}";
                case WildcardMatching w:
                    return $"{col} like {Param(w.ToSqlLikePattern())}";
                case ListOfUidMatching l:
                    return $"{col} = any({Param(l.Uids.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)})";
                case EmptyValueMatching:
                    return $"{col} = ''";
                case MultipleValueMatching m:
                    return Any(m, alternative => TextCondition(col, alternative, exact), exact);
                default:
                    exact.Value = false;
                    return null;
            }
        }

        private static string? Any(MultipleValueMatching m, Func<Matching, string?> each, Exactness exact)
        {
            var parts = new List<string>(m.Alternatives.Count);
            foreach (var alternative in m.Alternatives)
            {
                if (each(alternative) is not { } part)
                {
                    // One alternative not expressible: the disjunction cannot be narrowed safely in SQL.
                    exact.Value = false;
                    return null;
                }
                parts.Add(part);
            }
            return parts.Count == 0 ? null : "(" + string.Join(" or ", parts) + ")";
        }

        // Search columns hold PersonNameSearch.Normalize(name): groups folded, trailing '^' and spaces removed.
        private static string Component(string col, int group, int component) =>
            $"btrim(split_part(split_part({col}, '=', {group + 1}), '^', {component + 1}), ' ')";

        private string? PersonNameCondition(string col, Matching matching, Exactness exact)
        {
            switch (matching)
            {
                case SingleValueMatching s:
                    return PerComponent(col, s.Value, q => Param(PersonNameSearch.Normalize(q)), "=");
                case WildcardMatching w when w.Pattern.IndexOfAny(['^', '=']) >= 0:
                    return PerComponent(col, w.Pattern, q => Param(new WildcardMatching(PersonNameSearch.Normalize(q)).ToSqlLikePattern()), "like");
                case WildcardMatching w:
                    {
                        // Without component delimiters the pattern is matched against each whole group (PS3.5 6.2).
                        var normalized = PersonNameSearch.Normalize(w.Pattern);
                        var p = Param(new WildcardMatching(normalized).ToSqlLikePattern());
                        if (PrefixRange(normalized) is not ({ } low, var high))
                        {
                            return $"({col} like {p} or split_part({col}, '=', 2) like {p} or split_part({col}, '=', 3) like {p})";
                        }

                        // A literal prefix: each group is also bounded by the range of strings starting with it, which
                        // the prefix indexes of 0100 and 0180 serve (~>=~ and ~<~ compare bytes, as text_pattern_ops
                        // orders them). Parameters, not a pattern the planner must see: the statement is prepared and
                        // its generic plan still scans the three ranges. LIKE stays the exact test.
                        var lo = Param(low);
                        var hi = high is null ? null : Param(high);
                        string Group(string g) => hi is null
                            ? $"({g} ~>=~ {lo} and {g} like {p})"
                            : $"({g} ~>=~ {lo} and {g} ~<~ {hi} and {g} like {p})";
                        return $"({Group(col)} or {Group($"split_part({col}, '=', 2)")} or {Group($"split_part({col}, '=', 3)")})";
                    }
                case FuzzyPersonNameMatching f:
                    {
                        var parts = new List<string>();
                        foreach (var word in f.Words)
                        {
                            parts.Add($"exists (select 1 from regexp_split_to_table({col}, '[=^ ]') w where w <> '' and starts_with(w, {Param(word)}))");
                        }

                        return parts.Count == 0 ? "true" : "(" + string.Join(" and ", parts) + ")";
                    }
                case EmptyValueMatching:
                    return $"{col} = ''";
                case MultipleValueMatching m:
                    return Any(m, alternative => PersonNameCondition(col, alternative, exact), exact);
                default:
                    exact.Value = false;
                    return null;
            }
        }

        private static string PerComponent(string col, string value, Func<string, string> param, string op)
        {
            var parts = new List<string>();
            var groups = value.Split('=');
            for (var g = 0; g < groups.Length; g++)
            {
                var components = groups[g].Split('^');
                for (var i = 0; i < components.Length; i++)
                {
                    var q = components[i].Trim(' ');
                    if (q.Length == 0)
                    {
                        continue; // an empty query component constrains nothing
                    }

                    parts.Add($"{Component(col, g, i)} {op} {param(q)}");
                }
            }
            return parts.Count == 0 ? "true" : "(" + string.Join(" and ", parts) + ")";
        }

        private string? DateCondition(string col, Matching matching, Exactness exact)
        {
            switch (matching)
            {
                case DateRangeMatching d:
                    return Range(col, d.Lower, d.Upper);
                case CombinedDateTimeRangeMatching c:
                    // The date narrows; the time of day is checked on the candidate.
                    exact.Value = false;
                    return Range(col, c.Lower is { } lo ? DateOnly.FromDateTime(lo) : null, c.Upper is { } hi ? DateOnly.FromDateTime(hi) : null);
                case EmptyValueMatching:
                    // The column is null both for an absent and for an unparseable date; the candidate decides.
                    exact.Value = false;
                    return $"{col} is null";
                case MultipleValueMatching m:
                    return Any(m, alternative => DateCondition(col, alternative, exact), exact);
                default:
                    exact.Value = false;
                    return null;
            }
        }

        private string Range(string col, DateOnly? lower, DateOnly? upper)
        {
            var parts = new List<string> { $"{col} is not null" };
            if (lower is { } lo)
            {
                parts.Add($"{col} >= {Param(lo, NpgsqlDbType.Date)}");
            }

            if (upper is { } hi)
            {
                parts.Add($"{col} <= {Param(hi, NpgsqlDbType.Date)}");
            }

            return "(" + string.Join(" and ", parts) + ")";
        }

        private string? DateTextCondition(string col, Matching matching, Exactness exact)
        {
            // A DA kept as text ("19700101"): plain YYYYMMDD compares in date order; anything else is left to the
            // candidate, so the SQL only pre-filters and never excludes a legacy spelling it cannot order.
            switch (matching)
            {
                case DateRangeMatching d:
                    {
                        exact.Value = false;
                        var parts = new List<string>();
                        if (d.Lower is { } lo)
                        {
                            parts.Add($"{col} >= {Param(lo.ToString("yyyyMMdd", CultureInfo.InvariantCulture))}");
                        }

                        if (d.Upper is { } hi)
                        {
                            parts.Add($"{col} <= {Param(hi.ToString("yyyyMMdd", CultureInfo.InvariantCulture))}");
                        }

                        return parts.Count == 0 ? null : $"({col} !~ '^[0-9]{{8}}$' or ({string.Join(" and ", parts)}))";
                    }
                case EmptyValueMatching:
                    return $"{col} = ''";
                default:
                    exact.Value = false;
                    return null;
            }
        }

        private string? IntegerCondition(string col, Matching matching, Exactness exact)
        {
            switch (matching)
            {
                case SingleValueMatching s when int.TryParse(s.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v):
                    return $"{col} = {Param(v, NpgsqlDbType.Integer)}";
                case EmptyValueMatching:
                    exact.Value = false; // null is also an unparseable value; the candidate decides
                    return $"{col} is null";
                case MultipleValueMatching m:
                    return Any(m, alternative => IntegerCondition(col, alternative, exact), exact);
                default:
                    exact.Value = false;
                    return null;
            }
        }

        private string? ArrayCondition(string col, Matching matching, Exactness exact)
        {
            switch (matching)
            {
                case SingleValueMatching s:
                    return $"{Param(s.Value)} = any({col})";
                case ListOfUidMatching l:
                    return $"{col} && {Param(l.Uids.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)}";
                case MultipleValueMatching m when m.Alternatives.All(a => a is SingleValueMatching):
                    // ModalitiesInStudy "CT\MR": any one of the study's modalities (array overlap, GIN-indexed).
                    return $"{col} && {Param(m.Alternatives.Cast<SingleValueMatching>().Select(a => a.Value).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)}";
                case WildcardMatching w:
                    return $"exists (select 1 from unnest({col}) v where v like {Param(w.ToSqlLikePattern())})";
                case EmptyValueMatching:
                    return $"cardinality({col}) = 0";
                case MultipleValueMatching m:
                    return Any(m, alternative => ArrayCondition(col, alternative, exact), exact);
                default:
                    exact.Value = false;
                    return null;
            }
        }

        public string Compose(IndexQueryShape shape, int? limit, int offset, bool withJson, IReadOnlyList<DicomTag>? projection)
        {
            // Character sets: every level's JSON is Unicode; dropping the declared (0008,0005) makes the reader keep
            // the merged values in UTF-8 (ISO_IR 192), whatever sets the instances were received in.
            const string P = "(p.attributes - '00080005')";
            const string S = "(s.attributes - '00080005')";
            const string Se = "(se.attributes - '00080005')";
            const string I = "(i.header - '00080005')";
            var sb = new StringBuilder("select ");
            if (shape == IndexQueryShape.Instances)
            {
                // The headers are read only when a key must be checked on them.
                sb.Append("i.instance_key, ");
                if (withJson)
                {
                    sb.Append(P).Append(" || ").Append(S).Append(" || ").Append(Se).Append(" || ").Append(I);
                }
                else
                {
                    sb.Append("null::jsonb");
                }

                sb.Append(InstanceColumns).Append(InstanceFrom);
                AppendWhere(sb);
                sb.Append(" order by s.study_key, se.series_number nulls last, se.series_key, i.instance_number nulls last, i.instance_key");
            }
            else
            {
                switch (level)
                {
                    case QueryLevel.Patient:
                        sb.Append("p.patient_key, ").Append(projection is null ? P : "null::jsonb")
                            .Append(", (select count(*) from pacs_studies s2 where s2.patient_key = p.patient_key)")
                            .Append(", (select count(*) from pacs_studies s2 join pacs_series se2 on se2.study_key = s2.study_key where s2.patient_key = p.patient_key)")
                            .Append(", (select coalesce(sum(s2.number_of_instances), 0) from pacs_studies s2 where s2.patient_key = p.patient_key)");
                        AppendProjection(sb, projection, "p");
                        sb.Append(" from pacs_patients p");
                        AppendWhere(sb);
                        sb.Append(" order by p.patient_key");
                        break;
                    case QueryLevel.Study:
                        sb.Append("s.study_key, ").Append(projection is null ? P + " || " + S : "null::jsonb")
                            .Append(", s.modalities_in_study, s.sop_classes_in_study, s.number_of_series, s.number_of_instances, s.study_instance_uid");
                        AppendProjection(sb, projection, "s", "p");
                        sb.Append(" from pacs_studies s join pacs_patients p on p.patient_key = s.patient_key");
                        AppendWhere(sb);
                        sb.Append(" order by s.study_key");
                        break;
                    case QueryLevel.Series:
                        sb.Append("se.series_key, ").Append(projection is null ? P + " || " + S + " || " + Se : "null::jsonb")
                            .Append(", se.number_of_instances, s.study_instance_uid, se.series_instance_uid");
                        AppendProjection(sb, projection, "se", "s", "p");
                        sb.Append(" from pacs_series se join pacs_studies s on s.study_key = se.study_key join pacs_patients p on p.patient_key = s.patient_key");
                        AppendWhere(sb);
                        sb.Append(" order by s.study_key, se.series_number nulls last, se.series_key");
                        break;
                    default:
                        sb.Append("i.instance_key, ").Append(P).Append(" || ").Append(S).Append(" || ").Append(Se).Append(" || ").Append(I)
                            .Append(InstanceColumns).Append(InstanceFrom);
                        AppendWhere(sb);
                        sb.Append(" order by s.study_key, se.series_key, i.instance_number nulls last, i.instance_key");
                        break;
                }
            }
            if (limit is { } l)
            {
                sb.Append(" limit ").Append(l.ToString(CultureInfo.InvariantCulture));
            }

            if (offset > 0)
            {
                sb.Append(" offset ").Append(offset.ToString(CultureInfo.InvariantCulture));
            }

            return sb.ToString();
        }

        /// <summary>
        /// One column per projected attribute: its JSON from the lowest level that has it, as the merged documents
        /// (patient || study || series, the right one wins) would have held it. The keys are eight hexadecimal digits,
        /// written here, never taken from the request's text.
        /// </summary>
        private static void AppendProjection(StringBuilder sb, IReadOnlyList<DicomTag>? projection, params string[] aliasesLowestFirst)
        {
            if (projection is null)
            {
                return;
            }

            foreach (var tag in projection)
            {
                var key = tag.Value.ToString("X8", CultureInfo.InvariantCulture);
                sb.Append(", ");
                if (aliasesLowestFirst.Length == 1)
                {
                    sb.Append(aliasesLowestFirst[0]).Append(".attributes -> '").Append(key).Append('\'');
                    continue;
                }

                sb.Append("coalesce(");
                for (var i = 0; i < aliasesLowestFirst.Length; i++)
                {
                    sb.Append(i == 0 ? "" : ", ").Append(aliasesLowestFirst[i]).Append(".attributes -> '").Append(key).Append('\'');
                }

                sb.Append(')');
            }
        }

        private void AppendWhere(StringBuilder sb)
        {
            if (Where.Count == 0)
            {
                return;
            }

            sb.Append(" where ").Append(string.Join(" and ", Where));
        }
    }
}
