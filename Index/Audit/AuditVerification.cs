namespace Pacs.Index.Audit;

/// <summary>The answer of pacs_audit_verify(): rows checked and, when the chain is broken, the first broken row and why.</summary>
public sealed record AuditVerification(long Checked, long? BrokenSeq, long? BrokenEventKey, string? Reason)
{
    public bool Intact => BrokenSeq is null;
}
