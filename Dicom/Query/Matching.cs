namespace Pacs.Dicom.Query;

/// <summary>
/// How one key attribute is matched (PS3.4 C.2.2.2). Plain data: the in-memory matcher and the archive's SQL
/// builder both walk these records with a switch; values are already validated and normalised by the parsers.
/// </summary>
public abstract record Matching
{
    private protected Matching() { }
}

/// <summary>Zero-length key, or "*" alone: every entity matches, the attribute is only returned (PS3.4 C.2.2.2.3).</summary>
public sealed record UniversalMatching : Matching
{
    public static UniversalMatching Instance { get; } = new();
}

/// <summary>
/// Exact match of one value (PS3.4 C.2.2.2.1). Case-sensitive, except PN: person names are matched case- and
/// accent-insensitively on each component (archive choice, stated in the conformance statement); for PN a
/// query component left empty matches any value of that component.
/// </summary>
public sealed record SingleValueMatching(string Value) : Matching;

/// <summary>A list of UIDs (backslash in DIMSE, comma or backslash in QIDO): any one matches (PS3.4 C.2.2.2.2).</summary>
public sealed record ListOfUidMatching(IReadOnlyList<string> Uids) : Matching;

/// <summary>
/// "*" matches any run of characters, "?" any single character (PS3.4 C.2.2.2.4); only for AE, CS, LO, LT, PN, SH,
/// ST, UC, UR, UT. Case-sensitive except PN (see <see cref="SingleValueMatching"/>).
/// </summary>
public sealed record WildcardMatching(string Pattern) : Matching
{
    /// <summary>The pattern as an SQL LIKE pattern: * to %, ? to _, and %, _ and the escape character escaped.</summary>
    public string ToSqlLikePattern(char escape = '\\')
    {
        var sb = new System.Text.StringBuilder(Pattern.Length + 4);
        foreach (var c in Pattern)
        {
            switch (c)
            {
                case '*': sb.Append('%'); break;
                case '?': sb.Append('_'); break;
                default:
                    if (c == '%' || c == '_' || c == escape)
                    {
                        sb.Append(escape);
                    }

                    sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}

/// <summary>
/// Several values, any of which may match (PS3.4 C.2.2.2.8 Multiple Value Matching; QIDO multiplevaluematching,
/// PS3.18 8.3.4.6). Each alternative is a <see cref="SingleValueMatching"/> or a <see cref="WildcardMatching"/>.
/// Used for non-UID attributes such as ModalitiesInStudy "CT\MR" or "CT,MR".
/// </summary>
public sealed record MultipleValueMatching(IReadOnlyList<Matching> Alternatives) : Matching;

/// <summary>
/// DA single value or range (PS3.4 C.2.2.2.1, C.2.2.2.5). Bounds are inclusive; null is an open end.
/// A single date is the range [date, date].
/// </summary>
public sealed record DateRangeMatching(DateOnly? Lower, DateOnly? Upper) : Matching;

/// <summary>
/// TM single value or range. Bounds inclusive, widened to the precision given: "10" is 10:00:00.000000 to
/// 10:59:59.999999, so a single partial time is the range it denotes.
/// </summary>
public sealed record TimeRangeMatching(TimeOnly? Lower, TimeOnly? Upper) : Matching;

/// <summary>
/// DT single value or range, widened to the precision given. Values without a UTC offset take the query's
/// Timezone Offset From UTC (0008,0201) if given, else UTC (archive choice).
/// </summary>
public sealed record DateTimeRangeMatching(DateTimeOffset? Lower, DateTimeOffset? Upper) : Matching;

/// <summary>
/// Combined Date Time range matching (PS3.4 C.2.2.2.5.1): a DA key and its TM partner (Study Date and Study
/// Time...) read as one DT range, so 20060705-20060707 with 1000-1800 runs from 5 July 10:00 to 7 July 18:00.
/// The key carrying this matching has the date tag; <see cref="TimeTag"/> names the partner, which has no key
/// of its own. Bounds are local date-times, inclusive; null is an open end.
/// </summary>
public sealed record CombinedDateTimeRangeMatching(DicomTag TimeTag, DateTime? Lower, DateTime? Upper) : Matching;

/// <summary>
/// Empty Value Matching: the value "" (two QUOTATION MARKs) matches entities where the attribute is absent or
/// zero-length (PS3.4 C.2.2.2.1; QIDO emptyvaluematching=true, PS3.18 8.3.4.5).
/// </summary>
public sealed record EmptyValueMatching : Matching
{
    public static EmptyValueMatching Instance { get; } = new();
}

/// <summary>
/// Sequence matching (PS3.4 C.2.2.2.6): the request's one item carries keys; an entity matches when at least one
/// item of its sequence matches every key. <see cref="ItemKeys"/> holds only the constraining keys.
/// </summary>
public sealed record SequenceMatching(IReadOnlyList<QueryKey> ItemKeys) : Matching;

/// <summary>
/// QIDO fuzzymatching=true on a PN key (PS3.18 8.3.4.2): every word of the query is the prefix of some word of
/// some name component, case- and accent-insensitively ("jo" matches "JOHN^SMITH" and "SMITH^JOHN").
/// <see cref="Words"/> are already folded (upper case, accents removed).
/// </summary>
public sealed record FuzzyPersonNameMatching(IReadOnlyList<string> Words) : Matching;
