namespace Pacs.Grains.Reports;

public enum ReportError
{
    None,
    /// <summary>The If-Match does not name the current version (HTTP 412).</summary>
    PreconditionFailed,
    /// <summary>Not allowed in the report's state, e.g. editing a signed version (HTTP 409).</summary>
    Conflict,
    Invalid,
    /// <summary>No such study in the archive (HTTP 404).</summary>
    UnknownStudy,
    /// <summary>A report flagged critical without a recorded notification cannot be signed (HTTP 422).</summary>
    CriticalNotificationRequired,
    /// <summary>Another user holds the editing lock (HTTP 409 naming the holder).</summary>
    Locked,
}
