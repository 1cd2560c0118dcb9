using System.Diagnostics;
using System.IO.Compression;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.Tests;

/// <summary>What a folder import sends for a path: a DICOMDIR's files (made by dcmtk's dcmmkdir), a zip's entries.</summary>
public sealed class ImportCandidatesTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "pacs-candidates-" + Guid.NewGuid().ToString("N")[..8]);

    public ImportCandidatesTests() => Directory.CreateDirectory(_folder);

    [Fact]
    public async Task Walk_FolderWithDicomDir_ExactlyItsFiles_MissingReported_DicomDirNotSent()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "IMAGES"));
        File.Copy(Path.Combine("Corpus", "CT_small.dcm"), Path.Combine(_folder, "IMAGES", "IM1"));
        File.Copy(Path.Combine("Corpus", "MR_small.dcm"), Path.Combine(_folder, "IMAGES", "IM2"));
        File.Copy(Path.Combine("Corpus", "CT_small.dcm"), Path.Combine(_folder, "IMAGES", "IM3"));
        await RunAsync("dcmodify", _folder, "-nb", "-gin", Path.Combine("IMAGES", "IM3")); // another SOP Instance UID
        await RunAsync("dcmmkdir", _folder, "--recurse", "IMAGES");
        Assert.True(File.Exists(Path.Combine(_folder, "DICOMDIR")));

        // Files the DICOMDIR does not name are not sent; one it names is gone.
        File.Copy(Path.Combine("Corpus", "CT_small.dcm"), Path.Combine(_folder, "IMAGES", "EXTRA"));
        await File.WriteAllTextAsync(Path.Combine(_folder, "README.TXT"), "Patient CD.");
        File.Delete(Path.Combine(_folder, "IMAGES", "IM3"));

        var candidates = ImportCandidates.Walk(_folder).ToList();
        Assert.Equal(
            [Path.Combine(_folder, "IMAGES", "IM1"), Path.Combine(_folder, "IMAGES", "IM2"), Path.Combine(_folder, "IMAGES", "IM3")],
            candidates.Select(c => c.Path).Order(StringComparer.Ordinal));
        var missing = Assert.Single(candidates, c => c.Missing is not null);
        Assert.Equal(Path.Combine(_folder, "IMAGES", "IM3"), missing.Path);
        Assert.Contains("PS3.10", missing.Missing, StringComparison.Ordinal);
        Assert.All(candidates.Where(c => c.Missing is null), c => Assert.True(c.File.Exists));
    }

    [Fact]
    public async Task Walk_DicomDirFileIdsInOtherCase_Resolved()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "IMAGES"));
        File.Copy(Path.Combine("Corpus", "CT_small.dcm"), Path.Combine(_folder, "IMAGES", "IM1"));
        await RunAsync("dcmmkdir", _folder, "--recurse", "IMAGES");
        // Copied by hand from the CD to a case-sensitive filesystem, in lower case.
        Directory.Move(Path.Combine(_folder, "IMAGES"), Path.Combine(_folder, "images"));
        File.Move(Path.Combine(_folder, "images", "IM1"), Path.Combine(_folder, "images", "im1"));

        var candidate = Assert.Single(ImportCandidates.Walk(_folder));
        Assert.Null(candidate.Missing);
        Assert.Equal(Path.Combine(_folder, "images", "im1"), candidate.Path);
    }

    [Fact]
    public void Walk_Zip_EntriesByIndex_FolderEntriesSkipped_NamesNeverPaths()
    {
        var zip = Path.Combine(_folder, "export.ZIP");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            archive.CreateEntryFromFile(Path.Combine("Corpus", "CT_small.dcm"), "a.dcm");
            archive.CreateEntry("dir/");
            archive.CreateEntryFromFile(Path.Combine("Corpus", "MR_small.dcm"), "dir/b.dcm");
            archive.CreateEntryFromFile(Path.Combine("Corpus", "MR_small.dcm"), "../../escape.dcm");
        }

        var candidates = ImportCandidates.Walk(_folder).ToList();
        Assert.Equal([$"{zip}!/a.dcm", $"{zip}!/dir/b.dcm", $"{zip}!/../../escape.dcm"], candidates.Select(c => c.Path));
        Assert.Equal([0, 2, 3], candidates.Select(c => c.EntryIndex!.Value));
        Assert.All(candidates, c => Assert.Equal(zip, c.File.FullName));
        Assert.Equal(3, candidates.Select(c => c.CheckpointLine).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task Walk_UnreadableZip_OneCandidateForTheFile()
    {
        var zip = Path.Combine(_folder, "broken.zip");
        await File.WriteAllTextAsync(zip, "PK\u0003\u0004 not really");

        var candidate = Assert.Single(ImportCandidates.Walk(zip));
        Assert.Null(candidate.EntryIndex);
        Assert.Equal(zip, candidate.Path);
    }

    private static async Task RunAsync(string tool, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await error);
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
