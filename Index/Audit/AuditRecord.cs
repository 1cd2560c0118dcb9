namespace Pacs.Index.Audit;

/// <summary>
/// One access or change to record in pacs_audit_events (0140_audit_chain.sql). <see cref="Action"/> is the row's
/// kind; the database adds the event key, the chain position and the hashes.
/// </summary>
public sealed record AuditRecord
{
    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The user name, "ae:CALLINGAE" for a DICOM peer, or "anonymous".</summary>
    public required string Actor { get; init; }

    public string Role { get; init; } = "";

    public string ClientAddress { get; init; } = "";

    public string SessionId { get; init; } = "";

    /// <summary>"query", "retrieve", "store", "login", "login.failed", ... (docs/security.md, "Audit trail").</summary>
    public required string Action { get; init; }

    /// <summary>"success", "denied", "failure" or "error".</summary>
    public required string Outcome { get; init; }

    public string? PatientId { get; init; }

    public string? StudyInstanceUid { get; init; }

    public string? SopInstanceUid { get; init; }

    /// <summary>What else identifies the access (method and path, status, counts); never a patient's name.</summary>
    public IReadOnlyDictionary<string, string>? Detail { get; init; }
}
