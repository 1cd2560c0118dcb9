using System.Globalization;
using System.Text;
using Pacs.Index.Audit;

namespace Pacs.Gateway.Audit;

/// <summary>
/// One audit record as a framed syslog message: RFC 5424 (HEADER with PRI, version 1, time, host, app, process,
/// MSGID; no STRUCTURED-DATA; MSG the DICOM audit message XML of <see cref="AuditMessage"/>), framed by octet counting
/// ("MSG-LEN SP SYSLOG-MSG", RFC 6587 3.4.1 and RFC 5425 4.3). PS3.15 A.6/A.7: facility 10 (security/authorization),
/// severity 5 (notice; 4, warning, for a refused or failed action), MSGID "DICOM+RFC3881".
/// </summary>
internal static class SyslogMessage
{
    private const int Facility = 10;
    private const string AppName = "pacs-gateway";
    private const string MessageId = "DICOM+RFC3881";

    public static byte[] Frame(AuditRecord record, string archiveAeTitle, string hostName, int processId)
    {
        var xml = AuditMessage.Of(ToEvent(record), archiveAeTitle);
        var severity = record.Outcome == "success" ? 5 : 4;
        // RFC 5424 6.2.3: the time with fractions and "Z"; 6.2.4-6.2.7: printable US-ASCII fields, "-" when empty.
        var header = string.Create(CultureInfo.InvariantCulture,
            $"<{Facility * 8 + severity}>1 {record.Time.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ffffffZ} {Field(hostName, 255)} {AppName} {processId} {MessageId} - ");
        // MSG without a BOM (RFC 5424 6.4 MSG-ANY); the XML declaration names UTF-8 (PS3.15 A.6).
        var message = header + xml.Declaration + xml.Root!.ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
        var bytes = Encoding.UTF8.GetBytes(message);
        var prefix = Encoding.ASCII.GetBytes(bytes.Length.ToString(CultureInfo.InvariantCulture) + " ");
        var frame = new byte[prefix.Length + bytes.Length];
        prefix.CopyTo(frame, 0);
        bytes.CopyTo(frame, prefix.Length);
        return frame;
    }

    /// <summary>A record as the message builder reads it; the database's key, chain position and hashes are not part of a message.</summary>
    private static AuditEvent ToEvent(AuditRecord r) => new(0, 0, r.Time, r.Actor, r.Role, r.ClientAddress, r.SessionId, r.Action, r.Outcome,
        r.PatientId, r.StudyInstanceUid, r.SopInstanceUid, "", "");

    /// <summary>PRINTUSASCII (33-126), at most <paramref name="max"/> characters; "-" (the NILVALUE) when nothing is left.</summary>
    private static string Field(string value, int max)
    {
        var chars = value.Where(c => c is > ' ' and <= '~').Take(max).ToArray();
        return chars.Length == 0 ? "-" : new string(chars);
    }
}
