namespace Pacs.Dicom.Network.Dimse;

/// <summary>Status categories of PS3.7 Annex C.</summary>
public enum DimseStatusCategory
{
    Success,
    Warning,
    Failure,
    Cancel,
    Pending,
}

/// <summary>
/// A DIMSE status (0000,0900) with the optional Error Comment (0000,0902) and Offending Element (0000,0901)
/// (PS3.7 C and 9.1.1.1.9).
/// </summary>
public readonly record struct DimseStatus(ushort Code, string? ErrorComment = null, DicomTag? OffendingElement = null)
{
    public static readonly DimseStatus Success = new(0x0000);
    public static readonly DimseStatus Pending = new(0xFF00);
    /// <summary>Pending, with one or more optional keys not supported (PS3.4 C.4.1.1.4).</summary>
    public static readonly DimseStatus PendingWithWarnings = new(0xFF01);
    public static readonly DimseStatus Cancel = new(0xFE00);
    /// <summary>Sub-operations complete, one or more failures or warnings (PS3.4 C.4.2.1.5).</summary>
    public static readonly DimseStatus SubOperationsCompleteWithFailures = new(0xB000);
    /// <summary>Warning: coercion of data elements (PS3.4 B.2.3).</summary>
    public static readonly DimseStatus CoercionOfDataElements = new(0xB000);
    /// <summary>Refused: out of resources (PS3.4 B.2.3, 0xA7xx).</summary>
    public static readonly DimseStatus OutOfResources = new(0xA700);
    /// <summary>Move destination unknown (PS3.4 C.4.2.1.5).</summary>
    public static readonly DimseStatus MoveDestinationUnknown = new(0xA801);
    /// <summary>Out of resources: unable to perform sub-operations (PS3.4 C.4.2.1.5).</summary>
    public static readonly DimseStatus UnableToPerformSubOperations = new(0xA702);
    /// <summary>Identifier does not match SOP class (PS3.4 C.4.1.1.4).</summary>
    public static readonly DimseStatus IdentifierDoesNotMatchSopClass = new(0xA900);
    /// <summary>Error: cannot understand (PS3.4 B.2.3, 0xCxxx).</summary>
    public static readonly DimseStatus CannotUnderstand = new(0xC000);
    /// <summary>Unable to process (PS3.4 C.4.1.1.4).</summary>
    public static readonly DimseStatus UnableToProcess = new(0xC001);
    /// <summary>General failure: processing failure (PS3.7 C.4.2).</summary>
    public static readonly DimseStatus ProcessingFailure = new(0x0110);
    /// <summary>SOP class not supported (PS3.7 C.5.9).</summary>
    public static readonly DimseStatus SopClassNotSupported = new(0x0122);
    /// <summary>Refused: not authorized (PS3.7 C.5, status 0124H): the peer may not use this service.</summary>
    public static readonly DimseStatus NotAuthorized = new(0x0124);
    /// <summary>Unrecognized operation (PS3.7 C.5.12).</summary>
    public static readonly DimseStatus UnrecognizedOperation = new(0x0211);

    public DimseStatusCategory Category => Code switch
    {
        0x0000 => DimseStatusCategory.Success,
        0xFF00 or 0xFF01 => DimseStatusCategory.Pending,
        0xFE00 => DimseStatusCategory.Cancel,
        // PS3.7 C.3 and the service class warnings of PS3.4: 0001, 0107, 0116, Bxxx.
        0x0001 or 0x0107 or 0x0116 or >= 0xB000 and <= 0xBFFF => DimseStatusCategory.Warning,
        _ => DimseStatusCategory.Failure,
    };

    public bool IsSuccess => Category == DimseStatusCategory.Success;
    public bool IsPending => Category == DimseStatusCategory.Pending;
    public bool IsFailure => Category == DimseStatusCategory.Failure;

    public DimseStatus WithComment(string comment) => this with { ErrorComment = comment };

    /// <summary>Error Comment (0000,0902) is LO: at most 64 characters (PS3.7 C.4, Table E.1-1; PS3.5 6.2).</summary>
    public const int MaxErrorCommentLength = 64;

    /// <summary>The first 64 characters of <paramref name="comment"/>: what fits in an Error Comment.</summary>
    public static string TruncateErrorComment(string comment) =>
        comment.Length <= MaxErrorCommentLength ? comment : comment[..MaxErrorCommentLength];

    public override string ToString() => $"0x{Code:X4} {Category}{(ErrorComment is null ? "" : ": " + ErrorComment)}";
}
