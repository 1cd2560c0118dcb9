using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Pacs.Grains.Reports;
using Pacs.Index.Read;

namespace Pacs.Index.Reports;

/// <summary>
/// The two statements of one worklist page (<see cref="ReportStore.WorklistAsync"/>): the page, and the number of
/// matching studies counted up to a bound.
/// <para>
/// Why this shape (docs/benchmarks.md, "Reporting worklist and report saves under 20 editors"): the worklist's order
/// is critical findings, then stat, urgent, routine, then the newest study. The flag and the priority are in
/// pacs_reports, the date in pacs_studies, so no one index serves that order; one statement ordering the join of all
/// studies with a count(*) OVER () read, joined and sorted every matching study for each page of 50 (12.5 ms of
/// PostgreSQL CPU per page over 5,000 studies). Here the page is the concatenation of two ordered parts: the "head"
/// (a report flagged critical or not routine: few, read from pacs_reports and sorted), and the rest (no report, or a
/// routine one without the flag: all of them rank alike, so they follow the study date, and a walk of the index
/// pacs_studies_worklist (study_date DESC NULLS LAST, study_key DESC, 0176) stops after offset + limit rows). Each
/// part is cut one row past the page before the two are merged, and only the page's rows are joined to the patient and
/// report columns.
/// </para>
/// <para>
/// The report conditions are EXISTS / NOT EXISTS on pacs_reports rather than conditions on a LEFT JOIN's nullable
/// columns: PostgreSQL estimates "r.x IS NULL" after an outer join from the base column's statistics (no nulls), so a
/// study without a report looked rare and the plan sorted every study instead of walking the index; an anti-join is
/// estimated from the join itself. Only the filters given are in the text (no "$1 IS NULL OR ..."), so each combination
/// gets a plan of its own from Npgsql's automatic preparation. The caller's access groups are an array literal, as in
/// QIDO (<see cref="IndexQuery.GroupsLiteral"/>: a prepared statement's generic plan would otherwise assume a fixed
/// selectivity for the overlap), and so are status and priority, which come from closed sets checked here (their
/// frequencies differ a hundredfold: final reports are most, drafts few); dates, modality, offset and limit are
/// parameters.
/// </para>
/// </summary>
public sealed class WorklistStatement
{
    /// <summary>
    /// The total is exact up to this many studies (or to the end of the requested page, if that is further); beyond,
    /// the page says "1,000+": a reading room needs to know that there is more than a screenful, not how much more, and
    /// an exact count would read every matching study for every page.
    /// </summary>
    public const int CountLimit = 1000;

    private const string Head = "(r.critical OR r.priority <> 'routine')";
    private const string NotHead = "NOT r.critical AND r.priority = 'routine'";
    private const string Rank = "CASE r.priority WHEN 'stat' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END";
    private const string ReportOf = "pacs_reports r WHERE r.study_instance_uid = s.study_instance_uid";
    private const string StudyOrder = "s.study_date DESC NULLS LAST, s.study_key DESC";

    private readonly long _end;

    private WorklistStatement(string pageSql, IReadOnlyList<NpgsqlParameter> pageParameters, string countSql,
        IReadOnlyList<NpgsqlParameter> countParameters, long countBound, long end)
    {
        _end = end;
        PageSql = pageSql;
        PageParameters = pageParameters;
        CountSql = countSql;
        CountParameters = countParameters;
        CountBound = countBound;
    }

    /// <summary>The page's rows, and one more when more studies follow it (limit + 1 rows at most).</summary>
    public string PageSql { get; }
    public IReadOnlyList<NpgsqlParameter> PageParameters { get; }
    /// <summary>Answers one row: the matching studies, at most <see cref="CountBound"/> + 1.</summary>
    public string CountSql { get; }
    public IReadOnlyList<NpgsqlParameter> CountParameters { get; }
    /// <summary>The count is exact up to here; a count above it means "more than this".</summary>
    public long CountBound { get; }
    /// <summary>
    /// Whether the count must be asked with the page. A page that ends at or past <see cref="CountLimit"/> (the bound is
    /// then its end) answers it from its own rows (<see cref="TotalFromPage"/>), unless it is empty.
    /// </summary>
    public bool CountWithPage => _end < CountLimit;

    /// <summary>
    /// The total a page of <paramref name="rows"/> rows (limit + 1 asked) tells by itself, or null when it cannot: the
    /// count's bound is the page's end only when <see cref="CountWithPage"/> is false; an empty page past the first says
    /// nothing of how many came before.
    /// </summary>
    public (long Total, bool Exact)? TotalFromPage(int rows, int limit)
    {
        if (rows > limit)
        {
            return CountWithPage ? null : (_end, false);
        }

        return rows > 0 || _end == limit ? (_end - limit + rows, true) : null;
    }

    public static WorklistStatement Build(WorklistQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Status is { } status && status != WorklistQuery.Open && !ReportStatus.All.Contains(status))
        {
            throw new ArgumentException($"Unknown report status '{status}'.", nameof(query));
        }

        if (query.Priority is not null && !ReportPriority.IsValid(query.Priority))
        {
            throw new ArgumentException($"Unknown priority '{query.Priority}'.", nameof(query));
        }

        if (query.Offset < 0 || query.Limit < 1)
        {
            throw new ArgumentException("The offset must be 0 or more and the limit 1 or more.", nameof(query));
        }

        var end = (long)query.Offset + query.Limit;
        var countBound = Math.Max(CountLimit, end);
        var (pageSql, pageParameters) = Page(query, end);
        var (countSql, countParameters) = Count(query, countBound);
        return new WorklistStatement(pageSql, pageParameters, countSql, countParameters, countBound, end);
    }

    private static (string Sql, List<NpgsqlParameter> Parameters) Page(WorklistQuery query, long end)
    {
        var parameters = new List<NpgsqlParameter>();
        var studyConditions = StudyConditions(query, parameters);
        // One row past the page: whether more follow, which answers the count of a page that ends past the count limit.
        var endParameter = Add(parameters, end + 1, NpgsqlDbType.Bigint);
        var report = ReportCondition(query);
        var parts = new List<string>();
        if (query.Status != ReportStatus.None)
        {
            // The head: reports flagged critical or stat or urgent (no study without a report is among them).
            var where = Join([Head, .. report.Conditions, .. studyConditions]);
            parts.Add($"""
                (SELECT s.study_key, s.study_date, r.critical, {Rank} AS rank
                 FROM pacs_reports r JOIN pacs_studies s ON s.study_instance_uid = r.study_instance_uid
                 WHERE {where}
                 ORDER BY r.critical DESC, rank, {StudyOrder} LIMIT {endParameter})
                """);
        }

        if (query.Priority is not (ReportPriority.Stat or ReportPriority.Urgent) || parts.Count == 0)
        {
            // The rest: routine without the flag, or no report; in study order. (Also when nothing else is left: the
            // statement needs a part, and its condition is then false.)
            var rest = Exists(query, [NotHead, .. report.Conditions], report.WithoutReport);
            var where = Join([rest, .. studyConditions]);
            parts.Add($"""
                (SELECT s.study_key, s.study_date, false AS critical, 2 AS rank
                 FROM pacs_studies s
                 WHERE {where}
                 ORDER BY {StudyOrder} LIMIT {endParameter})
                """);
        }

        var offset = Add(parameters, (long)query.Offset, NpgsqlDbType.Bigint);
        var limit = Add(parameters, (long)query.Limit + 1, NpgsqlDbType.Bigint);
        var sql = $"""
            SELECT s.study_instance_uid, s.study_date, s.study_description, s.accession_number, s.modalities_in_study,
                   p.patient_name, p.patient_id, coalesce(r.status, 'none'), r.version, r.author, r.signer, r.signed_at, r.updated_at,
                   coalesce(r.priority, 'routine'), coalesce(r.critical, false)
            FROM (SELECT k.study_key, k.critical, k.rank, k.study_date
                  FROM ({string.Join("\nUNION ALL\n", parts)}) k
                  ORDER BY k.critical DESC, k.rank, k.study_date DESC NULLS LAST, k.study_key DESC
                  OFFSET {offset} LIMIT {limit}) page
            JOIN pacs_studies s ON s.study_key = page.study_key
            JOIN pacs_patients p ON p.patient_key = s.patient_key
            LEFT JOIN pacs_reports r ON r.study_instance_uid = s.study_instance_uid
            ORDER BY page.critical DESC, page.rank, page.study_date DESC NULLS LAST, page.study_key DESC
            """;
        return (sql, parameters);
    }

    private static (string Sql, List<NpgsqlParameter> Parameters) Count(WorklistQuery query, long countBound)
    {
        var parameters = new List<NpgsqlParameter>();
        var studyConditions = StudyConditions(query, parameters);
        var report = ReportCondition(query);
        var conditions = new List<string>();
        if (report.Conditions.Count > 0 || !report.WithoutReport || query.Status == ReportStatus.None)
        {
            conditions.Add(Exists(query, report.Conditions, report.WithoutReport));
        }

        conditions.AddRange(studyConditions);
        var bound = Add(parameters, countBound + 1, NpgsqlDbType.Bigint);
        var where = conditions.Count == 0 ? "" : " WHERE " + Join(conditions);
        return ($"SELECT count(*) FROM (SELECT 1 FROM pacs_studies s{where} LIMIT {bound}) c", parameters);
    }

    private static List<string> StudyConditions(WorklistQuery query, List<NpgsqlParameter> parameters)
    {
        var conditions = new List<string>();
        if (query.AccessGroups is not null)
        {
            conditions.Add("s.access_groups && " + IndexQuery.GroupsLiteral(query.AccessGroups));
        }

        if (query.From is { } from)
        {
            conditions.Add("s.study_date >= " + Add(parameters, from, NpgsqlDbType.Date));
        }

        if (query.To is { } to)
        {
            conditions.Add("s.study_date <= " + Add(parameters, to, NpgsqlDbType.Date));
        }

        if (query.Modality is { } modality)
        {
            conditions.Add(Add(parameters, modality, NpgsqlDbType.Text) + " = ANY (s.modalities_in_study)");
        }

        return conditions;
    }

    /// <summary>
    /// The filters on the study's report as conditions on its row "r", and whether a study without a report passes
    /// them (a study without a report is "none" and routine, not critical).
    /// </summary>
    private static (List<string> Conditions, bool WithoutReport) ReportCondition(WorklistQuery query)
    {
        var conditions = new List<string>();
        var withoutReport = true;
        switch (query.Status)
        {
            case null:
            case ReportStatus.None: // no report row at all: Exists says so
                break;
            case WorklistQuery.Open:
                conditions.Add($"r.status IN ('{ReportStatus.Draft}', '{ReportStatus.Preliminary}')");
                break;
            default:
                conditions.Add($"r.status = '{query.Status}'");
                withoutReport = false;
                break;
        }

        switch (query.Priority)
        {
            case null:
                break;
            case ReportPriority.Routine:
                conditions.Add($"r.priority = '{ReportPriority.Routine}'");
                break;
            default:
                conditions.Add($"r.priority = '{query.Priority}'");
                withoutReport = false;
                break;
        }

        return (conditions, withoutReport);
    }

    /// <summary>
    /// The study's report meets <paramref name="conditions"/>, or (when <paramref name="withoutReport"/>) it has none:
    /// at most one report per study (its primary key), so "no report that fails them" says exactly that. Status
    /// "none" asks for no report at all, and so matches nothing when a priority other than routine is asked too.
    /// </summary>
    private static string Exists(WorklistQuery query, List<string> conditions, bool withoutReport)
    {
        if (query.Status == ReportStatus.None)
        {
            return withoutReport ? $"NOT EXISTS (SELECT FROM {ReportOf})" : "false";
        }

        if (withoutReport)
        {
            return conditions.Count == 0 ? "true" : $"NOT EXISTS (SELECT FROM {ReportOf} AND NOT ({Join(conditions)}))";
        }

        return $"EXISTS (SELECT FROM {ReportOf} AND {Join(conditions)})";
    }

    private static string Join(IEnumerable<string> conditions) => string.Join(" AND ", conditions);

    private static string Add(List<NpgsqlParameter> parameters, object value, NpgsqlDbType type)
    {
        parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
        return "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);
    }
}
