using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Pacs.Dicom;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Issue 14's pages in Debian's chromium (Playwright), against the live gateway with real OHIF and PostgreSQL: a doctor
/// signs in, opens the study from /worklist, gets OHIF with the report panel beside it, writes the findings from the
/// proposed template, the draft is autosaved (and what is typed just before leaving the page too), a second writer's
/// change shows as a conflict instead of being overwritten silently, signs it (final
/// through the API, PDF served); an operator sees the signed report read-only. Also: a report in Russian from the CT
/// template with macros, signed and its PDF downloaded while a second doctor is locked out (409); dictation through
/// the Web Speech API (a fake recogniser: headless Chromium has none).
/// </summary>
[Collection(ViewerArchiveCollection.Name)]
public sealed class ReportingPagesBrowserTests(ArchiveFixture archive)
{
    [Fact]
    public async Task Reporting_DoctorWritesFromTemplateAutosavesSigns_OperatorReadsOnly()
    {
        var study = await StoreStudyAsync();
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctorPassword = await archive.CreateAccountAsync(doctorName, "doctor");
        var operatorName = "op-" + Guid.NewGuid().ToString("N")[..8];
        var operatorPassword = await archive.CreateAccountAsync(operatorName, "operator");

        await using (var doctor = await BrowserSession.StartAsync(archive.HttpPort, doctorName, doctorPassword))
        {
            var page = doctor.Page;
            // The worklist: the unreported study is listed (default filter: still to report) and opens the reporting page.
            await doctor.GotoAsync("/worklist?lang=en");
            var row = page.Locator($"#worklist tr[data-study=\"{study.StudyInstanceUid}\"]");
            await row.WaitForAsync(new() { Timeout = 30_000 });
            Assert.Equal("none", await row.GetAttributeAsync("data-status"));
            Assert.Contains("Unreported", await row.InnerTextAsync(), StringComparison.Ordinal);
            await row.Locator("a").ClickAsync();
            await page.WaitForURLAsync(url => url.Contains("/reporting?study=", StringComparison.Ordinal), new() { Timeout = 30_000 });
            await WaitReadyAsync(page);

            // OHIF on the study, in the same-origin iframe beside the panel, renders the image.
            Assert.Equal($"/viewer?StudyInstanceUIDs={study.StudyInstanceUid}", await page.Locator("#viewer").GetAttributeAsync("src"));
            await page.FrameLocator("#viewer").Locator(".viewport-element canvas").First.WaitForAsync(new() { Timeout = 90_000 });
            var header = await page.Locator("#study-header").InnerTextAsync();
            Assert.Contains("E2E CT phantom", header, StringComparison.Ordinal);
            // Dates as the worklist shows them (ISO 8601), not DICOM's YYYYMMDD.
            Assert.Contains("Study date: 2024-01-15", header, StringComparison.Ordinal);
            Assert.DoesNotContain("20240115", header, StringComparison.Ordinal);

            // The CT head template is proposed for a CT study; applied, then the doctor types on.
            Assert.Equal("ct-head", await page.Locator("#template").InputValueAsync());
            await page.Locator("#apply-template").ClickAsync();
            Assert.StartsWith("No intracranial haemorrhage", await page.Locator("#findings").InputValueAsync(), StringComparison.Ordinal);
            await page.Locator("#findings").ClickAsync();
            await page.Keyboard.PressAsync("Control+End");
            await page.Locator("#findings").PressSequentiallyAsync(" Small calcified focus in the left basal ganglia.");
            // Autosave: a few seconds after typing stops, the server holds the draft.
            var saved = await ServerReportAsync(study.StudyInstanceUid, r => Findings(r).EndsWith("left basal ganglia.", StringComparison.Ordinal));
            Assert.Equal("draft", saved.GetProperty("status").GetString());
            Assert.Equal(doctorName, saved.GetProperty("current").GetProperty("author").GetString());
            await Assertions.Expect(page.Locator("#save-status")).ToContainTextAsync("Draft saved at");

            // Typed and left at once (before the autosave delay): the keepalive save on pagehide keeps it.
            await page.Locator("#impression").ClickAsync();
            await page.Keyboard.PressAsync("Control+End");
            await page.Locator("#impression").PressSequentiallyAsync(" Follow-up MR advised.");
            await page.Locator("#to-worklist").ClickAsync();
            await ServerReportAsync(study.StudyInstanceUid, r => Impression(r).EndsWith("Follow-up MR advised.", StringComparison.Ordinal));
            await page.Locator($"#worklist tr[data-study=\"{study.StudyInstanceUid}\"][data-status=\"draft\"] a").ClickAsync(new() { Timeout = 30_000 });
            await WaitReadyAsync(page);
            Assert.EndsWith("Follow-up MR advised.", await page.Locator("#impression").InputValueAsync(), StringComparison.Ordinal);

            // A second writer changes the draft meanwhile (with the current ETag): the panel's next autosave gets 412 and
            // shows who changed it instead of overwriting; the doctor then chooses to overwrite with their text. The
            // second writer is the same doctor in another session (the editing lock is the user's: another user would
            // get 409 from the lock, ReportingPagesBrowserTests.Lock_…).
            var reportUrl = $"{archive.BaseUrl}/api/studies/{study.StudyInstanceUid}/report";
            var doctorToken = await archive.AccessTokenAsync(doctorName, doctorPassword);
            string etag;
            using (var current = await archive.Http.GetAsync(reportUrl))
            {
                etag = current.Headers.ETag!.ToString();
            }

            using (var put = archive.Request(HttpMethod.Put, $"/api/studies/{study.StudyInstanceUid}/report", doctorToken))
            {
                put.Content = System.Net.Http.Json.JsonContent.Create(new { language = "en", findings = "Changed by the second reader.", impression = "Other." });
                put.Headers.TryAddWithoutValidation("If-Match", etag);
                using var answer = await archive.Anonymous.SendAsync(put);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }
            await page.Locator("#comparison").ClickAsync();
            await page.Keyboard.PressAsync("Control+End");
            await page.Locator("#comparison").PressSequentiallyAsync(" CT of 2023.");
            await page.Locator("#conflict").WaitForAsync(new() { Timeout = 20_000 });
            Assert.Contains($"Changed elsewhere by {doctorName}", await page.Locator("#conflict-text").InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal("Changed by the second reader.", Findings(await ServerReportAsync(study.StudyInstanceUid, _ => true)));
            await page.Locator("#conflict-overwrite").ClickAsync();
            var overwritten = await ServerReportAsync(study.StudyInstanceUid, r => Findings(r).EndsWith("left basal ganglia.", StringComparison.Ordinal));
            Assert.EndsWith("CT of 2023.", overwritten.GetProperty("current").GetProperty("comparison").GetString(), StringComparison.Ordinal);

            // Sign: final through the API, with the PDF.
            await page.Locator("#sign").ClickAsync();
            await page.Locator("body[data-report-status=\"final\"]").WaitForAsync(new() { Timeout = 30_000 });
            Assert.True(await page.Locator("#pdf").IsVisibleAsync(), "no PDF link after signing");
            Assert.True(await page.Locator("#findings").GetAttributeAsync("readonly") is not null, "a signed report is still editable");
            var final = await ServerReportAsync(study.StudyInstanceUid, r => r.GetProperty("status").GetString() == "final");
            Assert.Equal(doctorName, final.GetProperty("current").GetProperty("signer").GetString());
            using (var pdf = await archive.Http.GetAsync($"{archive.BaseUrl}/api/studies/{study.StudyInstanceUid}/report/pdf"))
            {
                Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
                var bytes = await pdf.Content.ReadAsByteArrayAsync();
                Assert.Equal("%PDF", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
            }
            await page.ScreenshotAsync(new() { Path = Path.Combine(ViewerBrowserTests.ScreenshotDirectory, "reporting-doctor-signed.png") });
            await AssertNoCspViolationsAsync(page);

            // In Russian (the longest titles) the header's links and buttons wrap below the title, never over it.
            await doctor.GotoAsync($"/reporting?study={study.StudyInstanceUid}&lang=ru");
            await WaitReadyAsync(page);
            await page.Locator("#next-unreported").WaitForAsync();
            await AssertTitleNotCoveredAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(ViewerBrowserTests.ScreenshotDirectory, "reporting-doctor-ru.png") });
            await doctor.GotoAsync("/worklist?lang=ru");
            // The header's links (study list, own account; /admin for admins only), the title still uncovered.
            await page.Locator("header nav a[href=\"/account\"]").WaitForAsync(new() { Timeout = 30_000 });
            Assert.Equal("Моя учётная запись", await page.Locator("header nav a[href=\"/account\"]").InnerTextAsync());
            Assert.Equal(0, await page.Locator("header nav a[href=\"/admin\"]").CountAsync());
            await AssertTitleNotCoveredAsync(page);
        }

        // The operator: the signed report, read-only, no edit controls; no worklist (a doctor's page).
        await using var op = await BrowserSession.StartAsync(archive.HttpPort, operatorName, operatorPassword);
        var opPage = op.Page;
        await op.GotoAsync($"/reporting?study={study.StudyInstanceUid}&lang=en");
        await WaitReadyAsync(opPage);
        Assert.Equal("final", await opPage.Locator("body").GetAttributeAsync("data-report-status"));
        Assert.EndsWith("left basal ganglia.", await opPage.Locator("#findings").InputValueAsync(), StringComparison.Ordinal);
        foreach (var field in new[] { "#technique", "#comparison", "#findings", "#impression" })
        {
            Assert.True(await opPage.Locator(field).GetAttributeAsync("readonly") is not null, $"{field} is editable for an operator");
        }

        foreach (var control in new[] { "#sign", "#amend", "#sign-amendment", "#template-row", "#pdf", "#next-unreported" })
        {
            Assert.False(await opPage.Locator(control).IsVisibleAsync(), $"{control} is shown to an operator");
        }

        Assert.Contains(doctorName, await opPage.Locator("#report-editor-info").InnerTextAsync(), StringComparison.Ordinal);
        var worklist = await opPage.GotoAsync("/worklist");
        Assert.Equal(403, worklist!.Status);
    }

    /// <summary>The header's title and its navigation (links, buttons) do not overlap.</summary>
    private static async Task AssertTitleNotCoveredAsync(IPage page)
    {
        var title = await page.Locator("header h1").BoundingBoxAsync();
        var nav = await page.Locator("header nav").BoundingBoxAsync();
        Assert.NotNull(title);
        Assert.NotNull(nav);
        var apart = nav.Y >= title.Y + title.Height - 1 || title.Y >= nav.Y + nav.Height - 1
            || nav.X >= title.X + title.Width - 1 || title.X >= nav.X + nav.Width - 1;
        Assert.True(apart, $"title {title.X},{title.Y} {title.Width}x{title.Height} overlaps nav {nav.X},{nav.Y} {nav.Width}x{nav.Height}");
    }

    [Fact]
    public async Task Reporting_SecondDoctorOpensSameStudy_SeesLockBannerCannotEdit_ApiSaveGets409()
    {
        var study = await StoreStudyAsync();
        var nameA = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var passwordA = await archive.CreateAccountAsync(nameA, "doctor");
        using (var rename = new HttpRequestMessage(HttpMethod.Patch, $"{archive.BaseUrl}/api/users/{nameA}")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { displayName = "Dr Alice Lockwood" }),
        })
        {
            using var renamed = await archive.Http.SendAsync(rename);
            Assert.True(renamed.IsSuccessStatusCode, $"PATCH user: {(int)renamed.StatusCode}");
        }

        var nameB = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var passwordB = await archive.CreateAccountAsync(nameB, "doctor");
        var reporting = $"/reporting?study={study.StudyInstanceUid}&lang=en";

        // Doctor A opens the study and writes: A's panel holds the lock, the draft is autosaved.
        await using var a = await BrowserSession.StartAsync(archive.HttpPort, nameA, passwordA);
        await a.GotoAsync(reporting);
        await WaitReadyAsync(a.Page);
        Assert.Equal("mine", await a.Page.Locator("body").GetAttributeAsync("data-lock"));
        await a.Page.Locator("#findings").FillAsync("Doctor A's findings.");
        await ServerReportAsync(study.StudyInstanceUid, r => Findings(r) == "Doctor A's findings.");

        // Doctor B opens the same study: the banner names A, nothing is editable, no take-over for a doctor.
        await using var b = await BrowserSession.StartAsync(archive.HttpPort, nameB, passwordB);
        await b.GotoAsync(reporting);
        await WaitReadyAsync(b.Page);
        await Assertions.Expect(b.Page.Locator("#lock-banner")).ToBeVisibleAsync();
        Assert.Matches(@"^Being edited by Dr Alice Lockwood since \d{1,2}:\d{2}", await b.Page.Locator("#lock-text").InnerTextAsync());
        Assert.Equal("other", await b.Page.Locator("body").GetAttributeAsync("data-lock"));
        Assert.Equal("Doctor A's findings.", await b.Page.Locator("#findings").InputValueAsync());
        foreach (var field in new[] { "#clinicalInformation", "#technique", "#comparison", "#findings", "#impression", "#recommendations" })
        {
            Assert.True(await b.Page.Locator(field).GetAttributeAsync("readonly") is not null, $"{field} is editable for the second doctor");
        }

        foreach (var control in new[] { "#sign", "#preliminary", "#take-over" })
        {
            Assert.False(await b.Page.Locator(control).IsVisibleAsync(), $"{control} is shown to the second doctor");
        }

        Assert.False(await a.Page.Locator("#lock-banner").IsVisibleAsync(), "the holder sees the lock banner");

        // B through the API, with the current ETag: 409 naming A, and A's text stays.
        var tokenB = await archive.AccessTokenAsync(nameB, passwordB);
        var path = $"/api/studies/{study.StudyInstanceUid}/report";
        string etag;
        using (var current = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, path, tokenB)))
        {
            etag = current.Headers.ETag!.ToString();
        }

        using (var put = archive.Request(HttpMethod.Put, path, tokenB))
        {
            put.Content = System.Net.Http.Json.JsonContent.Create(new { language = "en", findings = "Doctor B overwrites." });
            put.Headers.TryAddWithoutValidation("If-Match", etag);
            using var answer = await archive.Anonymous.SendAsync(put);
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(nameA, problem.GetProperty("holder").GetString());
            Assert.Equal("Dr Alice Lockwood", problem.GetProperty("holderName").GetString());
        }

        Assert.Equal("Doctor A's findings.", Findings(await ServerReportAsync(study.StudyInstanceUid, _ => true)));
        await b.Page.ScreenshotAsync(new() { Path = Path.Combine(ViewerBrowserTests.ScreenshotDirectory, "reporting-locked.png") });
        await AssertNoCspViolationsAsync(b.Page);
    }

    [Fact]
    public async Task Reporting_CriticalReport_SignRefusedUntilNotificationRecorded_ThenSigned()
    {
        var study = await StoreStudyAsync();
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctorPassword = await archive.CreateAccountAsync(doctorName, "doctor");
        await using var doctor = await BrowserSession.StartAsync(archive.HttpPort, doctorName, doctorPassword);
        var page = doctor.Page;
        await doctor.GotoAsync($"/reporting?study={study.StudyInstanceUid}&lang=en");
        await WaitReadyAsync(page);

        // A critical, stat report: the notification form shows once the flag is set; the draft is autosaved.
        Assert.False(await page.Locator("#critical-row").IsVisibleAsync(), "the notification section shows before the flag");
        await page.Locator("#findings").FillAsync("Large acute subdural haematoma with midline shift.");
        await page.Locator("#impression").FillAsync("Acute subdural haematoma.");
        await page.Locator("#priority").SelectOptionAsync("stat");
        await page.Locator("#critical").CheckAsync();
        await Assertions.Expect(page.Locator("#notify-form")).ToBeVisibleAsync();
        var saved = await ServerReportAsync(study.StudyInstanceUid, r => r.GetProperty("current") is { ValueKind: JsonValueKind.Object } c
            && c.GetProperty("critical").GetBoolean() && c.GetProperty("priority").GetString() == "stat");
        Assert.Equal("draft", saved.GetProperty("status").GetString());

        // Sign before the notification: refused, naming the rule; still a draft.
        await page.Locator("#sign").ClickAsync();
        await Assertions.Expect(page.Locator("#save-status")).ToContainTextAsync("critical-notification-required");
        Assert.Equal("draft", (await ServerReportAsync(study.StudyInstanceUid, _ => true)).GetProperty("status").GetString());

        // The worklist shows the flag and the priority.
        using (var list = await archive.Http.GetAsync($"{archive.BaseUrl}/api/worklist?status=open&limit=200"))
        {
            var items = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray().ToList();
            var first = items.FindIndex(i => !i.GetProperty("critical").GetBoolean());
            var row = items.FindIndex(i => i.GetProperty("studyInstanceUid").GetString() == study.StudyInstanceUid);
            Assert.True(row >= 0 && (first < 0 || row < first), "the critical study is not among the first rows");
        }

        // Record the notification (phone, now), then sign.
        await page.Locator("#notified").FillAsync("Dr Smith, referring physician");
        await page.Locator("#notify-method").SelectOptionAsync("phone");
        await page.Locator("#record-notification").ClickAsync();
        await Assertions.Expect(page.Locator("#notifications li")).ToHaveCountAsync(1);
        Assert.Contains("Dr Smith, referring physician · By phone", await page.Locator("#notifications li").InnerTextAsync(), StringComparison.Ordinal);
        await page.Locator("#sign").ClickAsync();
        await page.Locator("body[data-report-status=\"final\"]").WaitForAsync(new() { Timeout = 30_000 });
        var final = await ServerReportAsync(study.StudyInstanceUid, r => r.GetProperty("status").GetString() == "final");
        Assert.Equal(doctorName, final.GetProperty("current").GetProperty("signer").GetString());
        Assert.True(final.GetProperty("current").GetProperty("critical").GetBoolean());
        Assert.Equal(doctorName, Assert.Single(final.GetProperty("criticalNotifications").EnumerateArray()).GetProperty("recordedBy").GetString());
        await AssertNoCspViolationsAsync(page);
    }

    [Fact]
    public async Task Reporting_RussianFromCtTemplateWithMacro_SignedPdfDownloaded_SecondDoctorSeesLockAndGets409()
    {
        var study = await StoreStudyAsync();
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctorPassword = await archive.CreateAccountAsync(doctorName, "doctor");
        var secondName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var secondPassword = await archive.CreateAccountAsync(secondName, "doctor");
        var doctorToken = await archive.AccessTokenAsync(doctorName, doctorPassword);
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var chest = "normchest" + suffix;
        var sinus = "sinus" + suffix;
        const string OwnChest = "Лёгкие расправлены, без очаговых и инфильтративных изменений.";
        const string SinusText = "Придаточные пазухи носа воздушны.";
        // The doctor's own /normchest…, a shared one of the same name (the own one wins) and a shared /sinus….
        await AddMacroAsync(doctorToken, new { name = chest, language = "ru", text = OwnChest });
        await AddMacroAsync(null, new { name = chest, language = "ru", text = "ОБЩИЙ ТЕКСТ, НЕ ДЛЯ ЭТОГО ВРАЧА.", shared = true });
        await AddMacroAsync(null, new { name = sinus, language = "ru", text = SinusText, shared = true });
        string templateFindings;
        using (var templates = await archive.Http.GetAsync($"{archive.BaseUrl}/api/report-templates?lang=ru&modality=CT"))
        {
            templateFindings = JsonDocument.Parse(await templates.Content.ReadAsStringAsync()).RootElement.GetProperty("templates").EnumerateArray()
                .Single(t => t.GetProperty("id").GetString() == "ct-chest").GetProperty("findings").GetString()!;
        }

        await using var doctor = await BrowserSession.StartAsync(archive.HttpPort, doctorName, doctorPassword);
        var page = doctor.Page;
        await doctor.GotoAsync($"/reporting?study={study.StudyInstanceUid}&lang=ru");
        await WaitReadyAsync(page);
        Assert.Equal("mine", await page.Locator("body").GetAttributeAsync("data-lock"));

        // The CT chest template, in Russian.
        await page.Locator("#template").SelectOptionAsync("ct-chest");
        await page.Locator("#apply-template").ClickAsync();
        Assert.Equal(templateFindings, await page.Locator("#findings").InputValueAsync());
        Assert.Equal("ru", await page.Locator("#report-language").InputValueAsync());

        // The macro list: the own /normchest… (not the shared one it hides) and the shared /sinus….
        await Assertions.Expect(page.Locator($"#macro-list li[data-macro=\"{chest}\"]")).ToHaveCountAsync(1);
        Assert.Contains(OwnChest[..20], await page.Locator($"#macro-list li[data-macro=\"{chest}\"]").TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.Contains("(общий)", await page.Locator($"#macro-list li[data-macro=\"{sinus}\"]").TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("ОБЩИЙ", await page.Locator("#macro-list").TextContentAsync() ?? "", StringComparison.Ordinal);

        // "/name" and a space expands (the own text); an unknown name stays as typed; "/name" and Enter expands too.
        await page.Locator("#findings").ClickAsync();
        await page.Keyboard.PressAsync("Control+End");
        await page.Locator("#findings").PressSequentiallyAsync($" /{chest} Без динамики.");
        Assert.Equal($"{templateFindings} {OwnChest} Без динамики.", await page.Locator("#findings").InputValueAsync());
        await page.Locator("#impression").FillAsync("");
        await page.Locator("#impression").PressSequentiallyAsync("Норма. /nosuchmacro ");
        await page.Locator("#impression").PressSequentiallyAsync($"/{sinus}");
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#impression").PressSequentiallyAsync("Итог.");
        Assert.Equal($"Норма. /nosuchmacro {SinusText}\nИтог.", await page.Locator("#impression").InputValueAsync());
        var saved = await ServerReportAsync(study.StudyInstanceUid, r => Impression(r).EndsWith("Итог.", StringComparison.Ordinal)
            && Findings(r).EndsWith("Без динамики.", StringComparison.Ordinal));
        Assert.Equal("ru", saved.GetProperty("current").GetProperty("language").GetString());
        Assert.Contains(OwnChest, Findings(saved), StringComparison.Ordinal);
        Assert.DoesNotContain("ОБЩИЙ", Findings(saved), StringComparison.Ordinal);

        // A second doctor opens the same report meanwhile: the lock banner names the first, nothing is editable, and a
        // save through the API with the current ETag gets 409 instead of overwriting.
        var reportPath = $"/api/studies/{study.StudyInstanceUid}/report";
        await using (var second = await BrowserSession.StartAsync(archive.HttpPort, secondName, secondPassword))
        {
            await second.GotoAsync($"/reporting?study={study.StudyInstanceUid}&lang=ru");
            await WaitReadyAsync(second.Page);
            await Assertions.Expect(second.Page.Locator("#lock-banner")).ToBeVisibleAsync();
            Assert.StartsWith("Редактирует ", await second.Page.Locator("#lock-text").InnerTextAsync(), StringComparison.Ordinal);
            Assert.True(await second.Page.Locator("#findings").GetAttributeAsync("readonly") is not null, "the second doctor can edit");
            Assert.False(await second.Page.Locator("#macro-box").IsVisibleAsync(), "the second doctor is offered macros on a locked report");
            var secondToken = await archive.AccessTokenAsync(secondName, secondPassword);
            string etag;
            using (var current = await archive.Anonymous.SendAsync(archive.Request(HttpMethod.Get, reportPath, secondToken)))
            {
                etag = current.Headers.ETag!.ToString();
            }

            using var put = archive.Request(HttpMethod.Put, reportPath, secondToken);
            put.Content = System.Net.Http.Json.JsonContent.Create(new { language = "ru", findings = "Второй врач перезаписывает." });
            put.Headers.TryAddWithoutValidation("If-Match", etag);
            using var answer = await archive.Anonymous.SendAsync(put);
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
            Assert.Equal(doctorName, JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("holder").GetString());
        }

        Assert.EndsWith("Без динамики.", Findings(await ServerReportAsync(study.StudyInstanceUid, _ => true)), StringComparison.Ordinal);

        // Signed, then the PDF downloaded through the panel's link: Russian labels, the macro's text.
        await page.Locator("#sign").ClickAsync();
        await page.Locator("body[data-report-status=\"final\"]").WaitForAsync(new() { Timeout = 30_000 });
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#pdf").ClickAsync());
        var file = Path.Combine(archive.WorkDirectory, $"report-{suffix}.pdf");
        await download.SaveAsAsync(file);
        Assert.Equal("%PDF", System.Text.Encoding.ASCII.GetString((await File.ReadAllBytesAsync(file))[..4]));
        var (code, text) = await ChildProcess.RunAsync("pdftotext", ["-enc", "UTF-8", file, "-"], 60);
        Assert.True(code == 0, "pdftotext: " + text);
        Assert.Contains("Заключение", text, StringComparison.Ordinal);
        Assert.Contains("Лёгкие расправлены", text, StringComparison.Ordinal);
        Assert.Contains("Придаточные пазухи", text, StringComparison.Ordinal);
        await AssertNoCspViolationsAsync(page);
    }

    /// <summary>
    /// With ?speech=none the page's browser offers no Web Speech API; otherwise a fake webkitSpeechRecognition (headless
    /// Chromium has no speech service) hears one sentence when started: a final result, then the end, as Chrome's does.
    /// The instance is kept on window.__speech so that the test can read the language it was asked for.
    /// </summary>
    private const string FakeSpeechRecognition = """
        (() => {
          delete window.SpeechRecognition;
          if (location.search.includes('speech=none')) { delete window.webkitSpeechRecognition; return; }
          class FakeRecognition {
            constructor() { this.lang = ''; window.__speech = this; }
            start() {
              setTimeout(() => {
                const result = Object.assign([{ transcript: ' Keine Raumforderung. ', confidence: 0.93 }], { isFinal: true });
                if (this.onresult) { this.onresult({ resultIndex: 0, results: [result] }); }
                if (this.onend) { this.onend(); }
              }, 200);
            }
            stop() { if (this.onend) { this.onend(); } }
            abort() { this.stop(); }
          }
          window.webkitSpeechRecognition = FakeRecognition;
        })();
        """;

    [Fact]
    public async Task Reporting_Dictation_ButtonOnlyWithSpeechApi_RecognisedTextAtCursorAutosaved()
    {
        var study = await StoreStudyAsync();
        var doctorName = "doc-" + Guid.NewGuid().ToString("N")[..8];
        var doctorPassword = await archive.CreateAccountAsync(doctorName, "doctor");
        await using var doctor = await BrowserSession.StartAsync(archive.HttpPort, doctorName, doctorPassword);
        var page = doctor.Page;
        await page.AddInitScriptAsync(FakeSpeechRecognition);

        // No Web Speech API: no dictation button.
        await doctor.GotoAsync($"/reporting?study={study.StudyInstanceUid}&lang=de&speech=none");
        await WaitReadyAsync(page);
        Assert.Equal(0, await page.Locator("button.dictate").CountAsync());

        // With it: a button per section; what is heard goes in at the cursor, in the report's language, and is saved.
        await doctor.GotoAsync($"/reporting?study={study.StudyInstanceUid}&lang=de");
        await WaitReadyAsync(page);
        await Assertions.Expect(page.Locator("button.dictate:visible")).ToHaveCountAsync(6);
        await page.Locator("#findings").FillAsync("Befund: Ende.");
        await page.Locator("#findings").EvaluateAsync("area => area.setSelectionRange(8, 8)");
        await page.Locator("#dictate-findings").ClickAsync();
        await Assertions.Expect(page.Locator("#findings")).ToHaveValueAsync("Befund: Keine Raumforderung. Ende.");
        Assert.Equal("de-DE", await page.EvaluateAsync<string>("() => window.__speech.lang"));
        Assert.Equal("false", await page.Locator("#dictate-findings").GetAttributeAsync("aria-pressed"));
        var saved = await ServerReportAsync(study.StudyInstanceUid, r => Findings(r) == "Befund: Keine Raumforderung. Ende.");
        Assert.Equal("de", saved.GetProperty("current").GetProperty("language").GetString());
        await AssertNoCspViolationsAsync(page);
    }

    /// <summary>Adds a report macro as <paramref name="token"/>'s account (null: the admin).</summary>
    private async Task AddMacroAsync(string? token, object macro)
    {
        using var request = archive.Request(HttpMethod.Post, "/api/report-macros", token);
        request.Content = System.Net.Http.Json.JsonContent.Create(macro);
        using var response = token is null ? await archive.Http.SendAsync(request) : await archive.Anonymous.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /api/report-macros: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task WaitReadyAsync(IPage page) =>
        await page.Locator("body[data-ready=\"true\"]").WaitForAsync(new() { Timeout = 30_000 });

    private static async Task AssertNoCspViolationsAsync(IPage page)
    {
        var violations = await page.EvaluateAsync<string[]>("() => window.__cspViolations ?? []");
        Assert.True(violations.Length == 0, "CSP violations:\n" + string.Join('\n', violations));
    }

    private static string Findings(JsonElement report) => report.GetProperty("current") is { ValueKind: JsonValueKind.Object } c ? c.GetProperty("findings").GetString() ?? "" : "";

    private static string Impression(JsonElement report) => report.GetProperty("current") is { ValueKind: JsonValueKind.Object } c ? c.GetProperty("impression").GetString() ?? "" : "";

    /// <summary>The report as the API gives it (as admin), polled until <paramref name="done"/> holds (at most 20 s).</summary>
    private async Task<JsonElement> ServerReportAsync(string study, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        JsonElement report;
        do
        {
            using var response = await archive.Http.GetAsync($"{archive.BaseUrl}/api/studies/{study}/report");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            report = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (done(report))
            {
                return report;
            }

            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail("the server never held the expected report; last: " + report);
        return report;
    }

    /// <summary>A small CT study of its own, stored through C-STORE (storescu).</summary>
    private async Task<SyntheticStudy> StoreStudyAsync()
    {
        var ct = SyntheticStudy.Create("CT", "REPORTING^UI PHANTOM", slices: 3);
        await archive.StoreScuAsync(Path.Combine(archive.WorkDirectory, "reporting-ui-" + Guid.NewGuid().ToString("N")[..8]), ct.Instances);
        return ct;
    }
}
