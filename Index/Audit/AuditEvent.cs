namespace Pacs.Index.Audit;

/// <summary>A row of the audit trail as read back (GET /api/audit).</summary>
public sealed record AuditEvent(
    long EventKey,
    long ChainSeq,
    DateTimeOffset Time,
    string Actor,
    string Role,
    string ClientAddress,
    string SessionId,
    string Action,
    string Outcome,
    string? PatientId,
    string? StudyInstanceUid,
    string? SopInstanceUid,
    string Detail,
    string RowHash);
