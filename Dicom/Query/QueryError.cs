using System.Diagnostics.CodeAnalysis;

namespace Pacs.Dicom.Query;

public enum QueryErrorKind
{
    /// <summary>A900: the identifier's structure does not fit the information model (level, unique keys).</summary>
    IdentifierDoesNotMatchSopClass,

    /// <summary>C000: a key value that cannot be processed (bad date, wildcard where none is allowed).</summary>
    UnableToProcess,

    /// <summary>0122: the SOP class is not a supported query model (retired Patient/Study Only, or unknown).</summary>
    SopClassNotSupported,

    /// <summary>A QIDO parameter that cannot be honoured: HTTP 400 with a problem details body.</summary>
    InvalidQueryParameter,
}

/// <summary>Why a query was refused, with what to answer on each edge.</summary>
public sealed record QueryError(QueryErrorKind Kind, string Message, DicomTag? OffendingElement = null)
{
    /// <summary>The C-FIND/C-MOVE/C-GET response status (PS3.4 C.4.1.1.4, C.4.2.1.5).</summary>
    public ushort DimseStatus => Kind switch
    {
        QueryErrorKind.IdentifierDoesNotMatchSopClass => 0xA900,
        QueryErrorKind.SopClassNotSupported => 0x0122,
        _ => 0xC000,
    };

    /// <summary>The HTTP status for a QIDO request (PS3.18 8.3.4, 10.6.3).</summary>
    public int HttpStatus => 400;

    public override string ToString() => OffendingElement is { } t ? $"{Message} {t}" : Message;
}

/// <summary>The outcome of parsing a query: the query, or the error to answer with. Never thrown.</summary>
public readonly record struct QueryParseResult
{
    private QueryParseResult(DicomQuery? query, QueryError? error)
    {
        Query = query;
        Error = error;
    }

    public DicomQuery? Query { get; }
    public QueryError? Error { get; }

    [MemberNotNullWhen(true, nameof(Query))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Query is not null;

    public static QueryParseResult Success(DicomQuery query) => new(query, null);
    public static QueryParseResult Failure(QueryError error) => new(null, error);

    public static implicit operator QueryParseResult(DicomQuery query) => Success(query);
    public static implicit operator QueryParseResult(QueryError error) => Failure(error);
}
