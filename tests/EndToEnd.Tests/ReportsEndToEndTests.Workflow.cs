using System.Net;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Issue 14's reporting workflow through the API with real PostgreSQL: the six sections, the optional preliminary
/// status, priority and critical findings (the notification rule), and the advisory editing lock.
/// </summary>
public sealed partial class ReportsEndToEndTests
{
    [Fact]
    public async Task Report_SixSectionsAndPreliminary_EditableOnWorklistAndPdfThenSigned()
    {
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctor = await archive.AccessTokenAsync(doctorName, await archive.CreateAccountAsync(doctorName, "doctor"));
        var study = await StoreStudyAsync();
        try
        {
            var path = $"/api/studies/{study}/report";
            var (_, _, etag) = await SendAsync(HttpMethod.Get, path, doctor);
            var content = new
            {
                language = "en", clinicalInformation = "Headache for three days.", technique = "Non-contrast CT.", comparison = "None.",
                findings = "No haemorrhage.", impression = "Normal study.", recommendations = "MR if the symptoms persist.",
            };
            var (status, body, _) = await SendAsync(HttpMethod.Post, path + "/preliminary", doctor, null, etag);
            Assert.Equal(HttpStatusCode.Conflict, status); // no draft yet
            (status, body, etag) = await SendAsync(HttpMethod.Put, path, doctor, content, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("Headache for three days.", body.GetProperty("current").GetProperty("clinicalInformation").GetString());
            Assert.Equal("MR if the symptoms persist.", body.GetProperty("current").GetProperty("recommendations").GetString());
            // A draft has no PDF; a preliminary report has one, marked as such.
            Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Get, path + "/pdf", doctor)).Status);

            Assert.Equal(HttpStatusCode.PreconditionRequired, (await SendAsync(HttpMethod.Post, path + "/preliminary", doctor)).Status);
            Assert.Equal(HttpStatusCode.PreconditionFailed, (await SendAsync(HttpMethod.Post, path + "/preliminary", doctor, null, "\"v0.0\"")).Status);
            (status, body, etag) = await SendAsync(HttpMethod.Post, path + "/preliminary", doctor, null, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("preliminary", body.GetProperty("status").GetString());
            Assert.Equal("\"v1.2\"", etag);
            Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, path + "/preliminary", doctor, null, etag)).Status);

            // Still editable by doctors, and it stays preliminary.
            (status, body, etag) = await SendAsync(HttpMethod.Put, path, doctor, content with { recommendations = "MR in two weeks." }, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("preliminary", body.GetProperty("status").GetString());
            Assert.Equal("MR in two weeks.", body.GetProperty("current").GetProperty("recommendations").GetString());

            // The worklist shows it as preliminary, and as still to sign ("open").
            foreach (var filter in new[] { "preliminary", "open" })
            {
                (_, body, _) = await SendAsync(HttpMethod.Get, $"/api/worklist?status={filter}&modality=CT&from=2024-01-15&to=2024-01-15&limit=200", doctor);
                var row = Assert.Single(body.GetProperty("items").EnumerateArray(), i => i.GetProperty("studyInstanceUid").GetString() == study);
                Assert.Equal("preliminary", row.GetProperty("reportStatus").GetString());
            }

            var english = await PdfTextAsync(path + "/pdf?lang=en", doctor, "preliminary-en");
            Assert.Contains("PRELIMINARY", english.Text);
            Assert.Contains("Clinical information", english.Text);
            Assert.Contains("Headache for three days.", english.Text);
            Assert.Contains("Recommendations", english.Text);
            Assert.Contains("MR in two weeks.", english.Text);
            var russian = await PdfTextAsync(path + "/pdf?lang=ru", doctor, "preliminary-ru");
            Assert.Contains("ПРЕДВАРИТЕЛЬНОЕ", russian.Text);
            Assert.Contains("Клинические данные", russian.Text);
            Assert.Contains("Рекомендации", russian.Text);

            // Preliminary → final.
            (status, body, etag) = await SendAsync(HttpMethod.Post, path + "/sign", doctor, null, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("final", body.GetProperty("report").GetProperty("status").GetString());
            var final = await PdfTextAsync(path + "/pdf?lang=en", doctor, "final-six-sections");
            Assert.DoesNotContain("PRELIMINARY", final.Text);
            Assert.Contains("MR in two weeks.", final.Text);
            (_, body, _) = await SendAsync(HttpMethod.Get, path + "/history", doctor);
            var version = Assert.Single(body.GetProperty("versions").EnumerateArray());
            Assert.Equal("final", version.GetProperty("status").GetString());
            Assert.Equal("Headache for three days.", version.GetProperty("clinicalInformation").GetString());
        }
        finally
        {
            using var delete = await archive.Http.SendAsync(archive.Request(HttpMethod.Delete, $"/dicom-web/studies/{study}"));
        }
    }
}
