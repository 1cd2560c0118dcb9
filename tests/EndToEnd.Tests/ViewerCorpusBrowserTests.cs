using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Pacs.Dicom;

namespace Pacs.EndToEnd.Tests;

/// <summary>
/// Issue 13, the viewer with real-world data: the whole pydicom corpus (compressed files included) stored through
/// STOW-RS, then OHIF's study list in Chromium shows every study the archive accepted, and no patient as "," (OHIF
/// turns the first "^" of a name into ", ", so a name of delimiters only, as in image_dfl.dcm, showed as ",").
/// Each study gets a StudyDescription of its own so that its row can be found; nothing else is changed.
/// </summary>
[Collection(ViewerCorpusCollection.Name)]
public sealed class ViewerCorpusBrowserTests(ArchiveFixture archive)
{
    [Fact]
    public async Task StudyList_WholePydicomCorpusStored_ShowsEveryStudyAndNoNameAsAComma()
    {
        var dir = Path.Combine(archive.RepoRoot, "tests", "Dicom.Tests", "Corpus", "test_files");
        var descriptions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(dir, "*.dcm").Order(StringComparer.Ordinal))
        {
            var bytes = await File.ReadAllBytesAsync(path);
            try
            {
                var file = DicomFile.Open(bytes);
                if (file.Dataset.GetString(DicomTag.StudyInstanceUID) is { Length: > 0 } study)
                {
                    if (!descriptions.TryGetValue(study, out var description))
                    {
                        descriptions[study] = description = "CORPUS STUDY " + (descriptions.Count + 1).ToString("D2", CultureInfo.InvariantCulture);
                    }

                    file.Dataset.SetString(DicomTag.StudyDescription, DicomVR.LO, description);
                    bytes = file.ToBytes();
                }
            }
            catch (DicomFormatException)
            {
                // A structurally broken corpus file goes as it is: the archive refuses it.
            }
            await StowAsync(bytes);
        }

        // What the archive holds, by its own QIDO: the list must show each of these.
        var expected = new List<string>();
        foreach (var (study, description) in descriptions)
        {
            using var qido = await archive.Http.GetAsync($"{archive.BaseUrl}/dicom-web/studies?StudyInstanceUID={study}");
            if (qido.StatusCode == HttpStatusCode.OK && (await qido.Content.ReadAsStringAsync()).Contains(study, StringComparison.Ordinal))
            {
                expected.Add(description);
            }
        }
        Assert.True(expected.Count >= 15, $"only {expected.Count} of {descriptions.Count} corpus studies were stored");
        var noName = descriptions[DicomFile.Open(await File.ReadAllBytesAsync(Path.Combine(dir, "image_dfl.dcm"))).Dataset.GetString(DicomTag.StudyInstanceUID)!];
        Assert.Contains(noName, expected);

        await using var session = await BrowserSession.StartAsync(archive.HttpPort);
        var page = session.Page;
        await page.SetViewportSizeAsync(1280, 4000);
        await session.GotoAsync("/?resultsPerPage=100");
        var missing = new List<string>();
        foreach (var description in expected)
        {
            var row = page.Locator("tr, [role=row]", new() { HasText = description });
            try
            {
                await row.First.WaitForAsync(new() { Timeout = missing.Count == 0 ? 30_000 : 2_000 });
            }
            catch (TimeoutException)
            {
                missing.Add(description);
                continue;
            }
            var cells = (await row.First.Locator("td").AllInnerTextsAsync()).Select(t => t.Trim()).ToList();
            Assert.DoesNotContain(",", cells);
            // image_dfl.dcm's Patient's Name is "^^^^": no name, not ",".
            if (description == noName)
            {
                Assert.True(cells.Count > 0 && !cells[0].Contains(',', StringComparison.Ordinal), $"the nameless patient's row: {string.Join(" | ", cells)}");
            }
        }
        await page.ScreenshotAsync(new() { Path = Path.Combine(ViewerBrowserTests.ScreenshotDirectory, "study-list-corpus.png"), FullPage = true });
        Assert.True(missing.Count == 0, $"the study list misses {missing.Count} of {expected.Count} studies: {string.Join(", ", missing)}");
        session.AssertNoFailedRequests();
    }

    private async Task StowAsync(byte[] part)
    {
        var content = new MultipartContent("related", "stow-" + Guid.NewGuid().ToString("N"));
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        var body = new ByteArrayContent(part);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
        content.Add(body);
        using var response = await archive.Http.PostAsync($"{archive.BaseUrl}/dicom-web/studies", content);
        // 200, 202 (warnings, refusals) and 409 (all refused) are answers; anything else is the archive failing.
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted or HttpStatusCode.Conflict,
            $"STOW answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}

/// <summary>An archive of its own for the corpus study list: the other viewer tests' lists must not see these studies.</summary>
[CollectionDefinition(Name)]
public sealed class ViewerCorpusCollection : ICollectionFixture<ArchiveFixture>
{
    public const string Name = "viewer corpus archive";
}
