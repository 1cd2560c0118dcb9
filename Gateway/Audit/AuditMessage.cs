using System.Globalization;
using System.Xml.Linq;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Audit;

/// <summary>
/// One audit row as a DICOM Audit Message (PS3.15 A.5.1, the schema derived from RFC 3881), for an audit repository
/// or an auditor's tools. Event IDs are those of PS3.15 A.5.3 (codes from PS3.16 CID 400-403):
/// login/logout = User Authentication, query = Query, view.* = DICOM Instances Accessed, retrieve and store =
/// DICOM Instances Transferred (C-MOVE/C-GET: Begin Transferring DICOM Instances), delete = DICOM Study Deleted,
/// audit.read = Audit Log Used, account/node/other changes = Security Alert. One patient per message (A.5.3.2): a row
/// names at most one.
/// </summary>
internal static class AuditMessage
{
    private readonly record struct Code(string Value, string Meaning, string Scheme = "DCM");

    public static XDocument Of(AuditEvent e, string archiveAeTitle)
    {
        var (eventId, actionCode, typeCode) = Classify(e);
        var identification = new XElement("EventIdentification",
            new XAttribute("EventActionCode", actionCode),
            new XAttribute("EventDateTime", e.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)),
            // 0 success, 4 minor failure, 8 serious failure (PS3.15 A.5.1, RFC 3881 5.1.4).
            new XAttribute("EventOutcomeIndicator", e.Outcome switch { "success" => "0", "error" => "8", _ => "4" }),
            CodeElement("EventID", eventId));
        if (typeCode is { } type)
        {
            identification.Add(CodeElement("EventTypeCode", type));
        }

        var requestor = new XElement("ActiveParticipant",
            new XAttribute("UserID", e.Actor),
            new XAttribute("UserIsRequestor", "true"));
        if (e.ClientAddress.Length > 0)
        {
            // 2: an IP address (RFC 3881 5.3.5).
            requestor.Add(new XAttribute("NetworkAccessPointID", e.ClientAddress), new XAttribute("NetworkAccessPointTypeCode", "2"));
        }

        if (e.Actor.StartsWith("ae:", StringComparison.Ordinal))
        {
            requestor.Add(new XAttribute("AlternativeUserID", "AETITLES=" + e.Actor[3..]));
        }

        var archive = new XElement("ActiveParticipant",
            new XAttribute("UserID", archiveAeTitle),
            new XAttribute("AlternativeUserID", "AETITLES=" + archiveAeTitle),
            new XAttribute("UserIsRequestor", "false"),
            CodeElement("RoleIDCode", new Code("110150", "Application")));
        var message = new XElement("AuditMessage", identification, requestor, archive,
            new XElement("AuditSourceIdentification", new XAttribute("AuditSourceID", archiveAeTitle)));

        if (e.StudyInstanceUid is { Length: > 0 } study)
        {
            // System object (2), role Report (3), ID type Study Instance UID.
            message.Add(new XElement("ParticipantObjectIdentification",
                new XAttribute("ParticipantObjectID", study),
                new XAttribute("ParticipantObjectTypeCode", "2"),
                new XAttribute("ParticipantObjectTypeCodeRole", "3"),
                CodeElement("ParticipantObjectIDTypeCode", new Code("110180", "Study Instance UID"))));
        }

        if (e.PatientId is { Length: > 0 } patient)
        {
            // Person (1), role Patient (1), ID type "Patient Number" of RFC 3881.
            message.Add(new XElement("ParticipantObjectIdentification",
                new XAttribute("ParticipantObjectID", patient),
                new XAttribute("ParticipantObjectTypeCode", "1"),
                new XAttribute("ParticipantObjectTypeCodeRole", "1"),
                CodeElement("ParticipantObjectIDTypeCode", new Code("2", "Patient Number", "RFC-3881"))));
        }

        if (e.Action is "audit.read" or "audit.export")
        {
            message.Add(new XElement("ParticipantObjectIdentification",
                new XAttribute("ParticipantObjectID", "pacs_audit_events"),
                new XAttribute("ParticipantObjectTypeCode", "2"),
                new XAttribute("ParticipantObjectTypeCodeRole", "13"), // Security Resource
                new XAttribute("ParticipantObjectName", "Security Audit Log"),
                CodeElement("ParticipantObjectIDTypeCode", new Code("12", "URI", "RFC-3881"))));
        }

        return new XDocument(new XDeclaration("1.0", "UTF-8", null), message);
    }

    private static (Code EventId, string ActionCode, Code? TypeCode) Classify(AuditEvent e) => e.Action switch
    {
        "login" or "login.failed" or "lockout" => (new Code("110114", "User Authentication"), "E", new Code("110122", "Login")),
        "logout" or "logout.everywhere" => (new Code("110114", "User Authentication"), "E", new Code("110123", "Logout")),
        "query" => (new Code("110112", "Query"), "E", null),
        "view.metadata" or "view.frames" or "view.rendered" or "view.bulkdata" => (new Code("110103", "DICOM Instances Accessed"), "R", null),
        "retrieve" when e.Actor.StartsWith("ae:", StringComparison.Ordinal) => (new Code("110102", "Begin Transferring DICOM Instances"), "E", null),
        "retrieve" => (new Code("110104", "DICOM Instances Transferred"), "R", null),
        "store" => (new Code("110104", "DICOM Instances Transferred"), "C", null),
        "delete" => (new Code("110105", "DICOM Study Deleted"), "D", null),
        "audit.read" or "audit.export" => (new Code("110101", "Audit Log Used"), "R", null),
        "node.change" => (new Code("110113", "Security Alert"), "E", new Code("110128", "Network Configuration")),
        "account.change" or "account.self.change" or "account.totp.remove" or "password.change" or "totp.remove" or "totp.confirm" => (new Code("110113", "Security Alert"), "E", new Code("110137", "User Security Attributes Changed")),
        _ => (new Code("110113", "Security Alert"), "E", new Code("110132", "Use of Restricted Function")),
    };

    private static XElement CodeElement(string name, Code code) => new(name,
        new XAttribute("csd-code", code.Value),
        new XAttribute("codeSystemName", code.Scheme),
        new XAttribute("originalText", code.Meaning));
}
