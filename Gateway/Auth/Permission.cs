namespace Pacs.Gateway.Auth;

/// <summary>
/// What an account may do, whatever the protocol it asks through. HTTP endpoints carry a policy per permission
/// (<see cref="Policies"/>), DIMSE services map to one each (<see cref="Dimse.DimseRoles"/>), and which role holds which
/// is decided once, in <see cref="RolePermissions"/> (docs/security.md, "Roles and permissions").
/// </summary>
[Flags]
public enum Permission
{
    None = 0,

    /// <summary>Search and view: QIDO-RS, WADO-RS and WADO-URI, the viewer, reading reports; C-FIND and C-GET.</summary>
    Read = 1 << 0,

    /// <summary>Upload: STOW-RS; C-STORE (from a workstation, as an account).</summary>
    Store = 1 << 1,

    /// <summary>Send studies to a registered DICOM node: C-MOVE.</summary>
    Send = 1 << 2,

    /// <summary>Delete studies, series and instances.</summary>
    Delete = 1 << 3,

    /// <summary>Write, sign and amend reports; the reporting worklist.</summary>
    Report = 1 << 4,

    /// <summary>Export copies that leave the archive (report PDFs).</summary>
    Export = 1 << 5,

    /// <summary>Accounts, DICOM nodes, access groups, the audit trail, data jobs, the Orleans dashboard.</summary>
    Admin = 1 << 6,
}
