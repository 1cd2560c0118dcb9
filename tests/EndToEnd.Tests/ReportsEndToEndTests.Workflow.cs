using System.Net;
using System.Text.Json;

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

    [Fact]
    public async Task Report_CriticalFinding_NotSignedUntilNotificationRecorded_HeadsWorklist()
    {
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctor = await archive.AccessTokenAsync(doctorName, await archive.CreateAccountAsync(doctorName, "doctor"));
        var operatorName = "op-" + Guid.NewGuid().ToString("N")[..8];
        var op = await archive.AccessTokenAsync(operatorName, await archive.CreateAccountAsync(operatorName, "operator"));
        var critical = await StoreStudyAsync();
        var urgent = await StoreStudyAsync();
        try
        {
            var path = $"/api/studies/{critical}/report";
            var (_, _, etag) = await SendAsync(HttpMethod.Get, path, doctor);
            var content = new { language = "en", findings = "Filling defects in both main pulmonary arteries.", impression = "Bilateral pulmonary embolism.", priority = "stat", critical = true };
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Put, path, doctor, content with { priority = "asap" }, etag)).Status);
            // No report yet: nothing to record a notification against.
            Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, path + "/critical-notification", doctor, new { notified = "Dr Smith", method = "phone" })).Status);
            var (status, body, _) = await SendAsync(HttpMethod.Put, path, doctor, content, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            etag = body.GetProperty("etag").GetString();
            Assert.Equal("stat", body.GetProperty("current").GetProperty("priority").GetString());
            Assert.True(body.GetProperty("current").GetProperty("critical").GetBoolean());

            // The rule: no signature before the communication of the critical finding is recorded.
            (status, body, _) = await SendAsync(HttpMethod.Post, path + "/sign", doctor, null, etag);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Equal("critical-notification-required", body.GetProperty("rule").GetString());
            Assert.Contains("critical-notification-required", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal("draft", (await SendAsync(HttpMethod.Get, path, doctor)).Body.GetProperty("status").GetString());

            foreach (var bad in new object[]
            {
                new { notified = " ", method = "phone" },
                new { notified = "Dr Smith", method = "fax" },
                new { notified = "Dr Smith", method = "phone", notifiedAt = DateTimeOffset.UtcNow.AddDays(1) },
            })
            {
                Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, path + "/critical-notification", doctor, bad)).Status);
            }

            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, path + "/critical-notification", op, new { notified = "Dr Smith", method = "phone" })).Status);
            var notifiedAt = DateTimeOffset.UtcNow.AddMinutes(-3);
            (status, body, var afterNotification) = await SendAsync(HttpMethod.Post, path + "/critical-notification", doctor,
                new { notified = "Dr Smith, referring physician", method = "phone", notifiedAt });
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(etag, afterNotification); // a record beside the report, not a change of its text
            var notification = Assert.Single(body.GetProperty("criticalNotifications").EnumerateArray());
            Assert.Equal("Dr Smith, referring physician", notification.GetProperty("notified").GetString());
            Assert.Equal("phone", notification.GetProperty("method").GetString());
            Assert.Equal(doctorName, notification.GetProperty("recordedBy").GetString());
            Assert.Equal(1, notification.GetProperty("version").GetInt32());
            Assert.Equal(notifiedAt.ToUnixTimeSeconds(), notification.GetProperty("notifiedAt").GetDateTimeOffset().ToUnixTimeSeconds());

            // The worklist: critical first, then stat, urgent, routine; filtered by priority; the flag shown.
            (_, _, var urgentEtag) = await SendAsync(HttpMethod.Get, $"/api/studies/{urgent}/report", doctor);
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/api/studies/{urgent}/report", doctor,
                new { language = "en", findings = "Pending.", priority = "urgent" }, urgentEtag)).Status);
            (status, body, _) = await SendAsync(HttpMethod.Get, "/api/worklist?status=open&from=2024-01-15&to=2024-01-15&limit=200", doctor);
            Assert.Equal(HttpStatusCode.OK, status);
            var items = body.GetProperty("items").EnumerateArray().ToList();
            var order = new[] { "stat", "urgent", "routine" };
            var ranks = items.Select(i => (i.GetProperty("critical").GetBoolean() ? 0 : 1) * 10
                + Array.IndexOf(order, i.GetProperty("priority").GetString())).ToList();
            Assert.Equal(ranks.Order(), ranks);
            var ids = items.Select(i => i.GetProperty("studyInstanceUid").GetString()).ToList();
            Assert.True(ids.IndexOf(critical) >= 0 && ids.IndexOf(critical) < ids.IndexOf(urgent), string.Join(", ", ids));
            Assert.True(items[ids.IndexOf(critical)].GetProperty("critical").GetBoolean());
            Assert.Equal("urgent", items[ids.IndexOf(urgent)].GetProperty("priority").GetString());
            (_, body, _) = await SendAsync(HttpMethod.Get, "/api/worklist?priority=urgent&limit=200", doctor);
            Assert.Contains(body.GetProperty("items").EnumerateArray(), i => i.GetProperty("studyInstanceUid").GetString() == urgent);
            Assert.All(body.GetProperty("items").EnumerateArray(), i => Assert.Equal("urgent", i.GetProperty("priority").GetString()));
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, "/api/worklist?priority=asap", doctor)).Status);

            // Now it can be signed.
            (status, body, etag) = await SendAsync(HttpMethod.Post, path + "/sign", doctor, null, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("final", body.GetProperty("report").GetProperty("status").GetString());

            // An amendment flagged critical needs a notification of its own (for version 2).
            var amendment = new { language = "en", findings = "Bilateral PE with right heart strain.", impression = "Bilateral PE, right heart strain.", priority = "stat", critical = true, reason = "Right heart strain added" };
            Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SendAsync(HttpMethod.Post, path + "/amend", doctor, amendment, etag)).Status);
            (status, body, _) = await SendAsync(HttpMethod.Post, path + "/critical-notification", doctor, new { notified = "ICU registrar on call", method = "in-person" });
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(2, body.GetProperty("criticalNotifications")[1].GetProperty("version").GetInt32());
            (status, body, _) = await SendAsync(HttpMethod.Post, path + "/amend", doctor, amendment, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("amended", body.GetProperty("report").GetProperty("status").GetString());

            // Audited: each notification, with who recorded it.
            using var audit = await archive.Http.GetAsync($"{archive.BaseUrl}/api/audit?action=report.critical.notified&studyInstanceUid={critical}");
            Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
            var events = JsonDocument.Parse(await audit.Content.ReadAsStringAsync()).RootElement.GetProperty("items");
            Assert.Equal(2, events.GetArrayLength());
            Assert.Contains(doctorName, events.GetRawText(), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var study in new[] { critical, urgent })
            {
                using var delete = await archive.Http.SendAsync(archive.Request(HttpMethod.Delete, $"/dicom-web/studies/{study}"));
            }
        }
    }

    [Fact]
    public async Task Report_EditingLock_OtherDoctorsChangesRefused409NamingHolder_AdminTakesOver_SignReleases()
    {
        var nameA = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctorA = await archive.AccessTokenAsync(nameA, await archive.CreateAccountAsync(nameA, "doctor"));
        var nameB = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctorB = await archive.AccessTokenAsync(nameB, await archive.CreateAccountAsync(nameB, "doctor"));
        var operatorName = "op-" + Guid.NewGuid().ToString("N")[..8];
        var op = await archive.AccessTokenAsync(operatorName, await archive.CreateAccountAsync(operatorName, "operator"));
        var study = await StoreStudyAsync();
        try
        {
            var path = $"/api/studies/{study}/report";
            var lockPath = path + "/lock";
            Assert.False((await SendAsync(HttpMethod.Get, lockPath, op)).Body.GetProperty("locked").GetBoolean());
            Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Post, "/api/studies/1.2.3.404/report/lock", doctorA)).Status);

            var (status, body, _) = await SendAsync(HttpMethod.Post, lockPath, doctorA);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(nameA, body.GetProperty("holder").GetString());
            Assert.True(body.GetProperty("mine").GetBoolean());
            var since = body.GetProperty("since").GetDateTimeOffset();
            Assert.InRange(body.GetProperty("expires").GetDateTimeOffset() - since, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(130));
            // A renewal (the panel's heartbeat) keeps "since".
            (status, body, _) = await SendAsync(HttpMethod.Post, lockPath, doctorA);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(since, body.GetProperty("since").GetDateTimeOffset());

            // Doctor B: refused with the holder named; no take-over for a doctor; operators read the lock only.
            (status, body, _) = await SendAsync(HttpMethod.Post, lockPath, doctorB);
            Assert.Equal(HttpStatusCode.Conflict, status);
            Assert.Equal(nameA, body.GetProperty("holder").GetString());
            Assert.Equal(nameA, body.GetProperty("holderName").GetString());
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, lockPath + "?force=true", doctorB)).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, lockPath + "?force=maybe", doctorA)).Status);
            (status, body, _) = await SendAsync(HttpMethod.Get, lockPath, op);
            Assert.Equal(nameA, body.GetProperty("holder").GetString());
            Assert.False(body.GetProperty("mine").GetBoolean());
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, lockPath, op)).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Delete, lockPath, op)).Status);

            var draft = new { language = "en", findings = "No acute abnormality.", impression = "Normal." };
            var (_, _, etag) = await SendAsync(HttpMethod.Get, path, doctorA);
            (status, _, etag) = await SendAsync(HttpMethod.Put, path, doctorA, draft, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            // B's save with the current ETag: 409 naming A (the lock is checked before the If-Match, so B learns who edits).
            (status, body, _) = await SendAsync(HttpMethod.Put, path, doctorB, draft with { impression = "B's text." }, etag);
            Assert.Equal(HttpStatusCode.Conflict, status);
            Assert.Equal(nameA, body.GetProperty("holder").GetString());
            Assert.Contains(nameA, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, path + "/sign", doctorB, null, etag)).Status);
            Assert.Equal("Normal.", (await SendAsync(HttpMethod.Get, path, doctorB)).Body.GetProperty("current").GetProperty("impression").GetString());
            // B releasing A's lock does nothing.
            Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, lockPath, doctorB)).Status);
            Assert.Equal(nameA, (await SendAsync(HttpMethod.Get, lockPath, doctorB)).Body.GetProperty("holder").GetString());

            // A leaves: the lock is free, B's save (with the ETag) passes.
            Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, lockPath, doctorA)).Status);
            Assert.False((await SendAsync(HttpMethod.Get, lockPath, doctorB)).Body.GetProperty("locked").GetBoolean());
            (status, _, etag) = await SendAsync(HttpMethod.Put, path, doctorB, draft with { impression = "B's text." }, etag);
            Assert.Equal(HttpStatusCode.OK, status);
            // The If-Match check stays: A's stale ETag is 412.
            Assert.Equal(HttpStatusCode.PreconditionFailed, (await SendAsync(HttpMethod.Put, path, doctorA, draft, "\"v1.1\"")).Status);

            // A takes the lock again; an admin takes it over; A's next save is refused naming the admin.
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, lockPath, doctorA)).Status);
            using (var force = await archive.Http.PostAsync($"{archive.BaseUrl}{lockPath}?force=true", null))
            {
                Assert.Equal(HttpStatusCode.OK, force.StatusCode);
            }

            (status, body, _) = await SendAsync(HttpMethod.Put, path, doctorA, draft, etag);
            Assert.Equal(HttpStatusCode.Conflict, status);
            var admin = body.GetProperty("holder").GetString();
            Assert.NotEqual(nameA, admin);
            // The admin signs: signing ends the lock.
            using (var sign = archive.Request(HttpMethod.Post, path + "/sign"))
            {
                sign.Headers.TryAddWithoutValidation("If-Match", etag);
                using var signed = await archive.Http.SendAsync(sign);
                Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
            }

            Assert.False((await SendAsync(HttpMethod.Get, lockPath, doctorA)).Body.GetProperty("locked").GetBoolean());

            // Audited: taken and forced (each with the actor), not every renewal.
            foreach (var (action, count) in new[] { ("report.lock.taken", 2), ("report.lock.forced", 1), ("report.lock.released", 1) })
            {
                using var audit = await archive.Http.GetAsync($"{archive.BaseUrl}/api/audit?action={action}&studyInstanceUid={study}");
                Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
                var events = JsonDocument.Parse(await audit.Content.ReadAsStringAsync()).RootElement.GetProperty("items");
                Assert.True(events.GetArrayLength() == count, $"{action}: {events}");
            }
        }
        finally
        {
            using var delete = await archive.Http.SendAsync(archive.Request(HttpMethod.Delete, $"/dicom-web/studies/{study}"));
        }
    }
}
