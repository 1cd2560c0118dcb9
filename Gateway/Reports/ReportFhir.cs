using System.Globalization;
using System.Text.Json;
using Pacs.Grains.Reports;
using Pacs.Index.Reports;

namespace Pacs.Gateway.Reports;

/// <summary>
/// A signed report version as an HL7 FHIR R4 DiagnosticReport (https://hl7.org/fhir/R4/diagnosticreport.html), for the
/// hospital's other systems: written by hand with Utf8JsonWriter (one resource; no FHIR library in the gateway).
/// </summary>
internal static class ReportFhir
{
    public const string MediaType = "application/fhir+json";

    /// <summary>The DiagnosticReport of <paramref name="version"/>, with its signed PDF as the presented form.</summary>
    public static byte[] DiagnosticReport(ReportStudy study, ReportVersion version, string signerName, byte[] pdf)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(pdf.Length * 4 / 3 + 4096);
        using (var json = new Utf8JsonWriter(buffer))
        {
            var sop = ReportArchive.SopInstanceUidFor(study.StudyInstanceUid, version.Version);
            json.WriteStartObject();
            json.WriteString("resourceType", "DiagnosticReport");
            // The resource id: the SOP Instance UID of this version's archived copy (a UID is a valid FHIR id: digits
            // and dots, at most 64 characters), so the same version always has the same id.
            json.WriteString("id", sop);
            json.WriteString("language", version.Content.Language);
            json.WriteStartArray("identifier");
            DicomUid(json, sop);
            json.WriteEndArray();
            json.WriteString("status", Status(version.Status));
            json.WriteStartArray("category");
            json.WriteStartObject();
            json.WriteStartArray("coding");
            Coding(json, "http://terminology.hl7.org/CodeSystem/v2-0074", "RAD", "Radiology");
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            // LOINC 18748-4 "Diagnostic imaging study": the document code of a diagnostic imaging report in DICOM
            // (PS3.16 TID 2000 and CID 7000) and the one FHIR imaging reports use (US Core, IHE); the archived
            // Encapsulated PDF names the same report by 11528-7 "Radiology Report" (also in CID 7000) as its Concept
            // Name, which fits a document of any imaging department less well for a FHIR consumer filtering by code.
            json.WriteStartObject("code");
            json.WriteStartArray("coding");
            Coding(json, "http://loinc.org", "18748-4", "Diagnostic imaging study");
            json.WriteEndArray();
            json.WriteEndObject();

            // The patient by identifier (logical reference): the archive holds no FHIR Patient resources. Patient ID
            // is type 2 in DICOM (may be empty): then the name alone. FHIR allows no empty strings.
            json.WriteStartObject("subject");
            json.WriteString("type", "Patient");
            if (study.PatientId.Length > 0)
            {
                json.WriteStartObject("identifier");
                if (IssuerSystem(study.IssuerOfPatientId) is { } system)
                {
                    json.WriteString("system", system);
                }
                else if (study.IssuerOfPatientId.Length > 0)
                {
                    json.WriteStartObject("assigner");
                    json.WriteString("display", study.IssuerOfPatientId);
                    json.WriteEndObject();
                }

                json.WriteString("value", study.PatientId);
                json.WriteEndObject();
            }

            json.WriteString("display", PersonName(study.PatientName) is { Length: > 0 } patient ? patient : "(no name)");
            json.WriteEndObject();

            // The study date only: a FHIR dateTime with a time needs a UTC offset, and DICOM's Study Time has none
            // (PS3.3 C.7.2.1; Timezone Offset From UTC is not indexed).
            if (study.StudyDate is { } date)
            {
                json.WriteString("effectiveDateTime", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            }

            var signed = Instant(version.SignedAt ?? version.UpdatedAt);
            json.WriteString("issued", signed);
            if (signerName.Trim().Length > 0)
            {
                // The signing doctor performed (is responsible for) and interpreted the report.
                json.WritePropertyName("performer");
                Practitioners(json, signerName);
                json.WritePropertyName("resultsInterpreter");
                Practitioners(json, signerName);
            }

            // The study by its Study Instance UID (PS3.3 C.7.2.1; FHIR ImagingStudy.identifier convention: urn:dicom:uid).
            json.WriteStartArray("imagingStudy");
            json.WriteStartObject();
            json.WriteString("type", "ImagingStudy");
            json.WritePropertyName("identifier");
            DicomUid(json, study.StudyInstanceUid);
            if (study.StudyDescription.Length > 0)
            {
                json.WriteString("display", study.StudyDescription);
            }

            json.WriteEndObject();
            json.WriteEndArray();
            if (version.Content.Impression.Trim().Length > 0)
            {
                json.WriteString("conclusion", version.Content.Impression);
            }

            json.WriteStartArray("presentedForm");
            json.WriteStartObject();
            json.WriteString("contentType", "application/pdf");
            json.WriteString("language", version.Content.Language);
            json.WriteBase64String("data", pdf);
            json.WriteNumber("size", pdf.Length);
            json.WriteString("title", $"{ReportLabels.Get(version.Content.Language, "title")} {version.Version.ToString(CultureInfo.InvariantCulture)}");
            json.WriteString("creation", signed);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Our life cycle in FHIR's DiagnosticReportStatus (R4 value set report-status): a signed first version is final,
    /// an addendum amended; "corrected" and "preliminary" map to themselves; anything else is unknown.
    /// </summary>
    public static string Status(string status) => status switch
    {
        ReportStatus.Final => "final",
        ReportStatus.Amended => "amended",
        "corrected" => "corrected",
        "preliminary" => "preliminary",
        _ => "unknown",
    };

    private static void Coding(Utf8JsonWriter json, string system, string code, string display)
    {
        json.WriteStartObject();
        json.WriteString("system", system);
        json.WriteString("code", code);
        json.WriteString("display", display);
        json.WriteEndObject();
    }

    private static void DicomUid(Utf8JsonWriter json, string uid)
    {
        json.WriteStartObject();
        json.WriteString("system", "urn:dicom:uid");
        json.WriteString("value", "urn:oid:" + uid);
        json.WriteEndObject();
    }

    private static void Practitioners(Utf8JsonWriter json, string name)
    {
        json.WriteStartArray();
        json.WriteStartObject();
        json.WriteString("type", "Practitioner");
        json.WriteString("display", name);
        json.WriteEndObject();
        json.WriteEndArray();
    }

    /// <summary>An Issuer of Patient ID that is an OID (PS3.5 9.1) as a FHIR system URI; null for free text.</summary>
    private static string? IssuerSystem(string issuer) =>
        issuer.Length is > 0 and <= 64 && issuer.All(c => c is '.' || char.IsAsciiDigit(c)) && !issuer.StartsWith('.') && !issuer.EndsWith('.')
            ? "urn:oid:" + issuer
            : null;

    /// <summary>A FHIR instant (xs:dateTime with seconds and a zone), in UTC.</summary>
    private static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A DICOM PN (PS3.5 6.2.1) as "Family Given": the first component group, its components space-separated.</summary>
    private static string PersonName(string pn) =>
        string.Join(' ', pn.Split('=')[0].Split('^').Select(p => p.Trim()).Where(p => p.Length > 0));
}
