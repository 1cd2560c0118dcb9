using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Pacs.Dicom;
using DiagnosticReport = Hl7.Fhir.Model.DiagnosticReport;
using FhirDateTime = Hl7.Fhir.Model.FhirDateTime;
using FhirJsonParser = Hl7.Fhir.Serialization.FhirJsonParser;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Issue 14, doctor reports, through a running gateway and silo with real PostgreSQL: the life cycle with ETags, the
/// roles, the PDF (pdftotext, pdffonts), the Encapsulated PDF stored back into the study (QIDO, WADO, dciodvfy) and
/// the worklist. The study stored here is deleted at the end.
/// </summary>
[Collection(StowArchiveCollection.Name)]
public sealed partial class ReportsEndToEndTests(ArchiveFixture archive)
{
    private const string PatientName = "Иванов^Пётр";

    [Fact]
    public async Task Report_DraftSignAmend_RolesEtagsPdfArchivedCopyAndWorklist()
    {
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctor = await archive.AccessTokenAsync(doctorName, await archive.CreateAccountAsync(doctorName, "doctor"));
        var study = await StoreStudyAsync();
        try
        {
            var operatorName = "op-" + Guid.NewGuid().ToString("N")[..8];
            var op = await archive.AccessTokenAsync(operatorName, await archive.CreateAccountAsync(operatorName, "operator"));
            var path = $"/api/studies/{study}/report";

            // No report yet: status none with the creation ETag; operators see no unsigned report.
            var (status, body, etag) = await SendAsync(HttpMethod.Get, path, doctor);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("none", body.GetProperty("status").GetString());
            Assert.Equal("\"v0.0\"", etag);
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, path, op)).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/api/studies/1.2.3.404/report", doctor)).Status);

            var draft = new { language = "ru", technique = "КТ без контраста", findings = "Очаговых изменений не выявлено.", impression = "Норма." };
            Assert.Equal(HttpStatusCode.PreconditionRequired, (await SendAsync(HttpMethod.Put, path, doctor, draft)).Status);
            Assert.Equal(HttpStatusCode.PreconditionFailed, (await SendAsync(HttpMethod.Put, path, doctor, draft, "\"v9.9\"")).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Put, path, op, draft, etag)).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Put, path, doctor, new { language = "xx" }, etag)).Status);
            (status, body, etag) = await SendAsync(HttpMethod.Put, path, doctor, draft, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("draft", body.GetProperty("status").GetString());
            Assert.Equal("\"v1.1\"", etag);
            // A second writer with the old ETag does not overwrite the draft.
            Assert.Equal(HttpStatusCode.PreconditionFailed, (await SendAsync(HttpMethod.Put, path, doctor, draft, "\"v0.0\"")).Status);
            Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Get, path + "/pdf", doctor)).Status);

            (status, body, etag) = await SendAsync(HttpMethod.Post, path + "/sign", doctor, null, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("final", body.GetProperty("report").GetProperty("status").GetString());
            var archived = body.GetProperty("archivedSopInstanceUid").GetString();
            Assert.False(string.IsNullOrEmpty(archived));
            // Final is immutable.
            Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Put, path, doctor, draft, etag)).Status);
            // The operator reads the final report but may not export or amend it.
            (status, body, _) = await SendAsync(HttpMethod.Get, path, op);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("Норма.", body.GetProperty("current").GetProperty("impression").GetString());
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, path + "/pdf", op)).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, path + "/amend", op, draft, etag)).Status);

            // The PDF in Russian: the Cyrillic name and the Russian labels come back as text, the font is embedded.
            var russian = await PdfTextAsync(path + "/pdf?lang=ru", doctor, "ru");
            Assert.Contains("Иванов, Пётр", russian.Text);
            Assert.Contains("Заключение", russian.Text);
            Assert.Contains("Дата рождения", russian.Text);
            Assert.Contains("Очаговых изменений не выявлено.", russian.Text);
            Assert.Matches(@"\+DejaVu Sans\S*\s+CID TrueType\s+Identity-H\s+yes\s+yes", russian.Fonts);
            // Signed with the clinic's certificate (pdfsig checks the CMS over the byte ranges).
            Assert.Contains($"Signer Certificate Common Name: {ArchiveFixture.ReportSigningName}", russian.Signature);
            Assert.Contains("Signature Validation: Signature is Valid.", russian.Signature);
            var german = await PdfTextAsync(path + "/pdf?lang=de", doctor, "de");
            Assert.Contains("Geburtsdatum", german.Text);
            Assert.Contains("Seite 1 von 1", german.Text);
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, path + "/pdf?lang=xx", doctor)).Status);

            // The Encapsulated PDF is in the study: QIDO finds it, WADO-URI returns it, dciodvfy finds no error.
            await AssertArchivedAsync(study, archived!);

            // Amend: a new signed version with a reason; the history keeps both.
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, path + "/amend", doctor, draft, etag)).Status);
            (status, body, etag) = await SendAsync(HttpMethod.Post, path + "/amend", doctor,
                new { language = "ru", findings = "Очаговых изменений не выявлено.", impression = "Норма. Уточнение.", reason = "Опечатка" }, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("amended", body.GetProperty("report").GetProperty("status").GetString());
            Assert.Equal(2, body.GetProperty("report").GetProperty("current").GetProperty("version").GetInt32());
            // The worklist: by SQL, filtered by status and modality; doctors and admins only.
            (status, body, _) = await SendAsync(HttpMethod.Get, "/api/worklist?status=amended&modality=CT&from=2024-01-15&to=20240115&limit=200", doctor);
            Assert.Equal(HttpStatusCode.OK, status);
            var row = Assert.Single(body.GetProperty("items").EnumerateArray(), i => i.GetProperty("studyInstanceUid").GetString() == study);
            Assert.Equal(2, row.GetProperty("reportVersion").GetInt32());
            Assert.Equal(doctorName, row.GetProperty("signer").GetString());
            // The total: exact below the count limit (1,000), and at least the rows on the page.
            Assert.True(body.GetProperty("totalExact").GetBoolean());
            Assert.True(body.GetProperty("total").GetInt64() >= body.GetProperty("items").GetArrayLength());
            (status, body, _) = await SendAsync(HttpMethod.Get, "/api/worklist?status=none&limit=200", doctor);
            Assert.DoesNotContain(body.GetProperty("items").EnumerateArray(), i => i.GetProperty("studyInstanceUid").GetString() == study);
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, "/api/worklist", op)).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, "/api/worklist?status=bogus", doctor)).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, "/api/worklist?limit=100000", doctor)).Status);

            (status, body, _) = await SendAsync(HttpMethod.Get, path + "/history", op);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(["final", "amended"], body.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("status").GetString()));
            var amendedText = await PdfTextAsync(path + "/pdf", doctor, "amended");
            // Without ?lang= the caller's preferred language (the account's default, English).
            Assert.Contains("Amended report: replaces version 1", amendedText.Text);
            Assert.Contains("Опечатка", amendedText.Text);
        }
        finally
        {
            using var delete = await archive.Http.SendAsync(archive.Request(HttpMethod.Delete, $"/dicom-web/studies/{study}"));
        }
    }

    [Fact]
    public async Task Fhir_SignedAndAmended_ParsesAsDiagnosticReportWithTheSignedPdf()
    {
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctor = await archive.AccessTokenAsync(doctorName, await archive.CreateAccountAsync(doctorName, "doctor"));
        var operatorName = "op-" + Guid.NewGuid().ToString("N")[..8];
        var op = await archive.AccessTokenAsync(operatorName, await archive.CreateAccountAsync(operatorName, "operator"));
        var study = await StoreStudyAsync();
        try
        {
            var path = $"/api/studies/{study}/report";
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, path + "/fhir", doctor)).Status);
            var (_, _, etag) = await SendAsync(HttpMethod.Put, path, doctor,
                new { language = "ru", technique = "КТ без контраста", findings = "Очаговых изменений не выявлено.", impression = "Норма." }, "\"v0.0\"");
            // A draft is no report for the hospital's systems.
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, path + "/fhir", doctor)).Status);
            (_, _, etag) = await SendAsync(HttpMethod.Post, path + "/sign", doctor, null, etag);

            var (final, finalJson) = await FhirAsync(path + "/fhir", doctor);
            Assert.Equal(DiagnosticReport.DiagnosticReportStatus.Final, final.Status);
            Assert.Equal("18748-4", Assert.Single(final.Code.Coding).Code);
            Assert.Equal("http://loinc.org", final.Code!.Coding[0].System);
            Assert.Equal("RAD", final.Category[0].Coding[0].Code);
            Assert.Equal("Patient", final.Subject!.Type);
            Assert.StartsWith("RPT-", final.Subject!.Identifier!.Value);
            Assert.Equal("Иванов Пётр", final.Subject.Display);
            Assert.Equal("2024-01-15", Assert.IsType<FhirDateTime>(final.Effective).Value);
            Assert.NotNull(final.Issued);
            Assert.True(Math.Abs((DateTimeOffset.UtcNow - final.Issued.Value).TotalMinutes) < 10, $"issued {final.Issued}");
            Assert.Equal(doctorName, Assert.Single(final.Performer).Display);
            Assert.Equal("Норма.", final.Conclusion);
            var imaging = Assert.Single(final.ImagingStudy);
            Assert.Equal("urn:dicom:uid", imaging.Identifier!.System);
            Assert.Equal("urn:oid:" + study, imaging.Identifier.Value);
            Assert.StartsWith("urn:oid:", Assert.Single(final.Identifier).Value);
            var form = Assert.Single(final.PresentedForm);
            Assert.Equal("application/pdf", form.ContentType);
            Assert.Equal("ru", form.Language);
            Assert.Equal("Радиологическое заключение 1", form.Title);
            Assert.NotNull(form.Creation);
            // The presented form is the signed PDF, in the report's language.
            var pdf = Path.Combine(archive.WorkDirectory, $"fhir-{study}.pdf");
            await File.WriteAllBytesAsync(pdf, form.Data!);
            var signature = await PdfsigAsync(pdf);
            Assert.Contains("Signature Validation: Signature is Valid.", signature);
            var (_, text) = await ChildProcess.RunAsync("pdftotext", ["-enc", "UTF-8", pdf, "-"]);
            Assert.Contains("Очаговых изменений не выявлено.", text);
            // Hand-written, but not loosely: no property the R4 model does not know (the strict parser would fail on it).
            using (var raw = JsonDocument.Parse(finalJson))
            {
                Assert.Equal(["resourceType", "id", "language", "identifier", "status", "category", "code", "subject", "effectiveDateTime", "issued", "performer", "resultsInterpreter", "imagingStudy", "conclusion", "presentedForm"],
                    raw.RootElement.EnumerateObject().Select(p => p.Name));
            }
            // (Attachment.Size read through the SDK's R4 model throws an InvalidCastException in 6.8.0: read it raw.)
            using (var raw = JsonDocument.Parse(finalJson))
            {
                Assert.Equal(form.Data!.LongLength, raw.RootElement.GetProperty("presentedForm")[0].GetProperty("size").GetInt64());
            }

            // Operators read reports but do not export them (the PDF rides along); an unknown study is 404.
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, path + "/fhir", op)).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/api/studies/1.2.3.404/report/fhir", doctor)).Status);

            (_, _, etag) = await SendAsync(HttpMethod.Post, path + "/amend", doctor,
                new { language = "ru", findings = "Очаговых изменений не выявлено.", impression = "Норма. Уточнение.", reason = "Опечатка" }, etag);
            var (amended, _) = await FhirAsync(path + "/fhir", doctor);
            Assert.Equal(DiagnosticReport.DiagnosticReportStatus.Amended, amended.Status);
            Assert.Equal("Норма. Уточнение.", amended.Conclusion);
            Assert.NotEqual(final.Id, amended.Id);
            Assert.Equal("Радиологическое заключение 2", amended.PresentedForm[0].Title);
        }
        finally
        {
            using var delete = await archive.Http.SendAsync(archive.Request(HttpMethod.Delete, $"/dicom-web/studies/{study}"));
        }
    }

    /// <summary>GET of a FHIR resource: application/fhir+json, parsed by the Firely R4 parser (strict) as a DiagnosticReport.</summary>
    private async Task<(DiagnosticReport Report, string Json)> FhirAsync(string path, string token)
    {
        using var request = archive.Request(HttpMethod.Get, path, token);
        using var response = await archive.Anonymous.SendAsync(request);
        var json = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {json}");
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        // FhirJsonParser (strict by default: an unknown property or a malformed value throws); 6.x may mark its
        // Parse obsolete in favour of the System.Text.Json deserializer, which parses the same.
#pragma warning disable CS0618
        return (new FhirJsonParser().Parse<DiagnosticReport>(json), json);
#pragma warning restore CS0618
    }

    [Fact]
    public async Task Sign_WhileTheBlobStoreRefuses_SignedAnyway_AnotherGatewaysSweepStoresTheCopyOnce()
    {
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctor = await archive.AccessTokenAsync(doctorName, await archive.CreateAccountAsync(doctorName, "doctor"));
        var study = await StoreStudyAsync();
        var broken = Path.Combine(archive.WorkDirectory, "broken-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // A gateway whose blob store refuses every write once it runs (its staging folder replaced by a file).
            using (var failing = await archive.StartGatewayAsync("--Pacs:StorageRoot", broken))
            {
                Directory.Delete(Path.Combine(broken, ".staging"), recursive: true);
                await File.WriteAllTextAsync(Path.Combine(broken, ".staging"), "not a folder");
                var path = $"http://127.0.0.1:{failing.HttpPort}/api/studies/{study}/report";
                var draft = new { language = "en", findings = "No acute findings.", impression = "Normal." };
                var (status, _, etag) = await SendToAsync(HttpMethod.Put, path, doctor, draft, "\"v0.0\"");
                Assert.Equal(HttpStatusCode.OK, status);

                // Signed all the same; the answer says the copy is not in the archive.
                (status, var body, _) = await SendToAsync(HttpMethod.Post, path + "/sign", doctor, null, etag);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal("final", body.GetProperty("report").GetProperty("status").GetString());
                Assert.Equal(JsonValueKind.Null, body.GetProperty("archivedSopInstanceUid").ValueKind);
                Assert.Contains("was not archived", failing.Log);
                Assert.Empty(await ReportInstancesAsync(study));
            }

            // Another gateway (the working blob store, a sweep every second) stores it: from the database's record
            // of the missing copy, not from anything the failed gateway kept.
            using var sweeper = await archive.StartGatewayAsync("--Pacs:Reports:Archive:RetryInterval", "00:00:01");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while ((await ReportInstancesAsync(study)).Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }

            var sop = Assert.Single(await ReportInstancesAsync(study));
            await AssertArchivedAsync(study, sop);
            // Marked archived: later sweeps leave it alone (still exactly one instance, no kept conflict copy).
            await Task.Delay(3000);
            Assert.Equal([sop], await ReportInstancesAsync(study));
            using var conflicts = await archive.Http.GetAsync($"{archive.BaseUrl}/api/conflicts");
            Assert.DoesNotContain(sop, await conflicts.Content.ReadAsStringAsync());
        }
        finally
        {
            using var delete = await archive.Http.SendAsync(archive.Request(HttpMethod.Delete, $"/dicom-web/studies/{study}"));
            try { Directory.Delete(broken, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The SOP Instance UIDs of the study's Encapsulated PDF instances (QIDO).</summary>
    private async Task<List<string>> ReportInstancesAsync(string study)
    {
        using var qido = await archive.Http.GetAsync($"{archive.BaseUrl}/dicom-web/studies/{study}/instances?SOPClassUID=1.2.840.10008.5.1.4.1.1.104.1");
        var text = await qido.Content.ReadAsStringAsync();
        if (qido.StatusCode == HttpStatusCode.NoContent || text.Length == 0)
        {
            return [];
        }

        Assert.Equal(HttpStatusCode.OK, qido.StatusCode);
        using var found = JsonDocument.Parse(text);
        return [.. found.RootElement.EnumerateArray().Select(i => i.GetProperty("00080018").GetProperty("Value")[0].GetString()!)];
    }

    /// <summary>Like SendAsync, to a full URL (another gateway of the archive).</summary>
    private async Task<(HttpStatusCode Status, JsonElement Body, string? ETag)> SendToAsync(HttpMethod method, string url, string token, object? json = null, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
        {
            request.Content = JsonContent.Create(json);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await archive.Anonymous.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 400, $"{method} {url}: {(int)response.StatusCode} {text}");
        var body = text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return (response.StatusCode, body, response.Headers.ETag?.ToString());
    }

    private async Task<string> StoreStudyAsync()
    {
        var ds = new DicomDataset();
        ds.SetString(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        ds.SetString(DicomTag.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
        ds.SetString(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        ds.SetString(DicomTag.StudyDate, DicomVR.DA, "20240115");
        ds.SetString(DicomTag.AccessionNumber, DicomVR.SH, "RPT" + Guid.NewGuid().ToString("N")[..8]);
        ds.SetString(DicomTag.Modality, DicomVR.CS, "CT");
        ds.SetString(DicomTag.StudyDescription, DicomVR.LO, "КТ головы");
        ds.SetString(DicomTag.PatientName, DicomVR.PN, PatientName);
        ds.SetString(DicomTag.PatientID, DicomVR.LO, "RPT-" + Guid.NewGuid().ToString("N")[..8]);
        ds.SetString(DicomTag.PatientBirthDate, DicomVR.DA, "19700101");
        ds.SetString(DicomTag.PatientSex, DicomVR.CS, "M");
        var study = DicomUidGenerator.Generate();
        ds.SetString(DicomTag.StudyInstanceUID, DicomVR.UI, study);
        ds.SetString(DicomTag.SeriesInstanceUID, DicomVR.UI, DicomUidGenerator.Generate());
        var content = new MultipartContent("related", "stow-" + Guid.NewGuid().ToString("N"));
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        var part = new ByteArrayContent(DicomFile.Create(ds, DicomTransferSyntax.ExplicitVRLittleEndian).ToBytes());
        part.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
        content.Add(part);
        using var response = await archive.Http.PostAsync($"{archive.BaseUrl}/dicom-web/studies", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return study;
    }

    private Task<(HttpStatusCode Status, JsonElement Body, string? ETag)> SendAsync(HttpMethod method, string path, string token, object? json = null, string? ifMatch = null) =>
        archive.SendJsonAsync(method, path, token, json, ifMatch);

    private async Task<(string Text, string Fonts, string Signature)> PdfTextAsync(string path, string token, string name)
    {
        using var request = archive.Request(HttpMethod.Get, path, token);
        using var response = await archive.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
        Directory.CreateDirectory(archive.WorkDirectory);
        var file = Path.Combine(archive.WorkDirectory, $"report-{name}.pdf");
        await File.WriteAllBytesAsync(file, await response.Content.ReadAsByteArrayAsync());
        // PACS_REPORT_PDF_DIR keeps a copy to look at (pdftoppm -png -r 60).
        if (Environment.GetEnvironmentVariable("PACS_REPORT_PDF_DIR") is { Length: > 0 } keep)
        {
            File.Copy(file, Path.Combine(keep, $"report-{name}.pdf"), true);
        }

        var (textExit, text) = await ChildProcess.RunAsync("pdftotext", ["-enc", "UTF-8", file, "-"]);
        Assert.Equal(0, textExit);
        var (fontsExit, fonts) = await ChildProcess.RunAsync("pdffonts", [file]);
        Assert.Equal(0, fontsExit);
        return (text, fonts, await PdfsigAsync(file));
    }

    /// <summary>pdfsig's report of the file's signatures (its exit code says only whether it found one).</summary>
    internal static async Task<string> PdfsigAsync(string file) => (await ChildProcess.RunAsync("pdfsig", [file])).Output;

    private async Task AssertArchivedAsync(string study, string sop)
    {
        using var qido = await archive.Http.GetAsync($"{archive.BaseUrl}/dicom-web/studies/{study}/instances?SOPClassUID=1.2.840.10008.5.1.4.1.1.104.1");
        Assert.Equal(HttpStatusCode.OK, qido.StatusCode);
        using var found = JsonDocument.Parse(await qido.Content.ReadAsStringAsync());
        var instance = Assert.Single(found.RootElement.EnumerateArray());
        Assert.Equal(sop, instance.GetProperty("00080018").GetProperty("Value")[0].GetString());
        var series = instance.GetProperty("0020000E").GetProperty("Value")[0].GetString();
        using var wado = await archive.Http.GetAsync($"{archive.BaseUrl}/wado?requestType=WADO&studyUID={study}&seriesUID={series}&objectUID={sop}&contentType=application/dicom");
        Assert.Equal(HttpStatusCode.OK, wado.StatusCode);
        var bytes = await wado.Content.ReadAsByteArrayAsync();
        var file = DicomFile.Open(bytes);
        Assert.Equal("DOC", file.Dataset.GetString(DicomTag.Modality));
        Assert.Equal(PatientName, file.Dataset.GetString(DicomTag.PatientName));
        Assert.Equal("application/pdf", file.Dataset.GetString(DicomTag.MIMETypeOfEncapsulatedDocument));
        // The archived copy is the signed PDF (Encapsulated Document Length: the OB value is padded to even length).
        Assert.True(file.Dataset.TryGetElement(DicomTag.EncapsulatedDocument, out var document));
        var pdfFile = Path.Combine(archive.WorkDirectory, $"archived-{sop}.pdf");
        await File.WriteAllBytesAsync(pdfFile, document.Value[..(int)file.Dataset.GetUInt32(DicomTag.EncapsulatedDocumentLength)!.Value].ToArray());
        var signature = await PdfsigAsync(pdfFile);
        Assert.Contains($"Signer Certificate Common Name: {ArchiveFixture.ReportSigningName}", signature);
        Assert.Contains("Signature Validation: Signature is Valid.", signature);
        var path = Path.Combine(archive.WorkDirectory, "report.dcm");
        await File.WriteAllBytesAsync(path, bytes);
        if (Environment.GetEnvironmentVariable("PACS_REPORT_PDF_DIR") is { Length: > 0 } keep)
        {
            File.Copy(path, Path.Combine(keep, "report.dcm"), true);
        }

        var (_, output) = await ChildProcess.RunAsync("dciodvfy", [path]);
        // dciodvfy names the IOD it checked against and prints "Error - ..." lines for every violation.
        Assert.Contains("EncapsulatedPDF", output);
        Assert.DoesNotContain("Error", output);
    }
}
