namespace Pacs.Dicom.Query;

/// <summary>
/// A query as C-FIND (PS3.4 C.4.1) and QIDO-RS (PS3.18 10.6) both express it. Plain data: the in-memory matcher
/// and the archive's SQL builder walk <see cref="Keys"/> and <see cref="ReturnKeys"/>.
/// </summary>
public sealed class DicomQuery
{
    public required QueryLevel Level { get; init; }
    public required QueryModel Model { get; init; }

    /// <summary>
    /// The constraining keys, at any level (each carries its level). Universal keys are not here, only in
    /// <see cref="ReturnKeys"/>. Includes the unique keys of higher levels and any QIDO scope.
    /// </summary>
    public required IReadOnlyList<QueryKey> Keys { get; init; }

    /// <summary>
    /// Every attribute the response carries, in request order: all keys of the identifier, universal ones
    /// included (PS3.4 C.4.1.1.3.2), or for QIDO the defaults of the level, the match keys and includefield.
    /// Query/Retrieve Level, Specific Character Set and Retrieve AE Title are left to the caller.
    /// </summary>
    public required IReadOnlyList<ReturnKey> ReturnKeys { get; init; }

    /// <summary>The unique keys of the levels above <see cref="Level"/> given in the request (hierarchical navigation).</summary>
    public IReadOnlyList<QueryKey> HigherLevelUniqueKeys { get; init; } = [];

    /// <summary>Relational queries (PS3.4 C.4.1.2.2): DIMSE only when extended negotiation agreed; QIDO always.</summary>
    public bool Relational { get; init; }

    /// <summary>QIDO fuzzymatching=true (PS3.18 8.3.4.2) or DIMSE fuzzy semantic matching of person names.</summary>
    public bool FuzzyMatching { get; init; }

    /// <summary>QIDO includefield=all: every available attribute is returned.</summary>
    public bool IncludeAll { get; init; }

    /// <summary>QIDO includefield attributes (already merged into <see cref="ReturnKeys"/>).</summary>
    public IReadOnlyList<DicomTag> IncludeFields { get; init; } = [];

    /// <summary>QIDO limit (PS3.18 8.3.4.4); null when not given.</summary>
    public int? Limit { get; init; }

    /// <summary>QIDO offset (PS3.18 8.3.4.4); 0 when not given.</summary>
    public int Offset { get; init; }

    /// <summary>Timezone Offset From UTC (0008,0201) of the request, if given: applies to DT values without offset.</summary>
    public TimeSpan? TimezoneOffset { get; init; }

    /// <summary>The matching of <paramref name="tag"/> at the top level, if it constrains.</summary>
    public QueryKey? FindKey(DicomTag tag)
    {
        foreach (var k in Keys)
        {
            if (k.Tag == tag)
            {
                return k;
            }
        }

        return null;
    }

    /// <summary>
    /// Reads a C-FIND/C-MOVE/C-GET identifier (PS3.4 C.4.1.1.3.1). Validation failures come back as a
    /// <see cref="QueryError"/> carrying the DIMSE status (A900, C000, 0122) and the offending element.
    /// </summary>
    public static QueryParseResult FromIdentifier(DicomDataset identifier, string affectedSopClassUid, bool relational) =>
        IdentifierParser.Parse(identifier, affectedSopClassUid, new DimseQueryOptions { Relational = relational });

    /// <inheritdoc cref="FromIdentifier(DicomDataset, string, bool)"/>
    public static QueryParseResult FromIdentifier(DicomDataset identifier, string affectedSopClassUid, DimseQueryOptions options) =>
        IdentifierParser.Parse(identifier, affectedSopClassUid, options);

    /// <summary>
    /// Reads QIDO-RS query parameters (PS3.18 8.3.4, 10.6.1) already URL-decoded. Failures come back as a
    /// <see cref="QueryError"/> of kind <see cref="QueryErrorKind.InvalidQueryParameter"/> for a 400 response.
    /// </summary>
    public static QueryParseResult FromQido(QueryLevel level, IEnumerable<KeyValuePair<string, string>> parameters, QidoScope scope = default) =>
        QidoParser.Parse(level, parameters, scope);
}

/// <summary>What C-FIND extended negotiation agreed (PS3.4 C.5.1.1; PS3.7 D.3.3.5).</summary>
public sealed record DimseQueryOptions
{
    /// <summary>Byte 1: relational queries.</summary>
    public bool Relational { get; init; }

    /// <summary>Byte 2: combined date and time range matching (PS3.4 C.2.2.2.5.1).</summary>
    public bool CombinedDateTimeMatching { get; init; }

    /// <summary>Byte 3: fuzzy semantic matching of person names; served by the same word-prefix matching as QIDO.</summary>
    public bool FuzzySemanticMatching { get; init; }

    /// <summary>
    /// "" as Empty Value Matching (PS3.4 C.2.2.2.1). On by default: a literal "" value matches nothing real, so
    /// reading it as "the value is empty" harms no SCU.
    /// </summary>
    public bool EmptyValueMatching { get; init; } = true;
}

/// <summary>The resource a QIDO request is scoped to: /studies/{study}/series, /studies/{study}/series/{series}/instances.</summary>
public readonly record struct QidoScope(string? StudyInstanceUid = null, string? SeriesInstanceUid = null);
