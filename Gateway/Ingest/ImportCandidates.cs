using System.IO.Compression;
using Pacs.Dicom;
using Pacs.Dicom.IO;

namespace Pacs.Gateway.Ingest;

/// <summary>
/// What a folder import sends for the paths it is given: the files under a folder, recursively; the entries of a zip
/// archive (a file named *.zip); and for a folder with a DICOMDIR in its root, exactly the files the DICOMDIR names
/// (PS3.10 8.6), those missing reported, the DICOMDIR itself never sent.
/// </summary>
internal static class ImportCandidates
{
    // A DICOMDIR is read whole; a real one is a few MB even for a full DVD.
    private const long MaxDicomDirBytes = 64L * 1024 * 1024;

    public static IEnumerable<ImportCandidate> Walk(string path)
    {
        if (File.Exists(path))
        {
            var file = new FileInfo(path);
            return IsZip(file) ? ZipEntries(file) : [new ImportCandidate(file.FullName, file)];
        }

        var folder = new DirectoryInfo(path);
        var dicomdir = new FileInfo(System.IO.Path.Combine(folder.FullName, DicomDirectory.FileName));
        if (!dicomdir.Exists)
        {
            dicomdir = folder.EnumerateFiles().FirstOrDefault(f => string.Equals(f.Name, DicomDirectory.FileName, StringComparison.OrdinalIgnoreCase))
                ?? dicomdir;
        }

        if (dicomdir.Exists && ReferencedFiles(folder, dicomdir) is { } referenced)
        {
            return referenced;
        }

        // Symbolic links are not followed (a link loop would never end); hidden files are files like the others.
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        return folder.EnumerateFiles("*", options).OrderBy(f => f.FullName, StringComparer.Ordinal)
            .SelectMany(f => IsZip(f) ? ZipEntries(f) : [new ImportCandidate(f.FullName, f)]);
    }

    private static bool IsZip(FileInfo file) => file.Extension.Equals(".zip", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The entries of a zip archive that hold files (not folders), by index: entry names are only shown, never made into
    /// paths (nothing is extracted, so no name can write outside anything: no zip slip). An archive that cannot be
    /// read is one candidate, which the import reports as not DICOM.
    /// </summary>
    private static IEnumerable<ImportCandidate> ZipEntries(FileInfo zip)
    {
        List<ImportCandidate> entries = [];
        try
        {
            using var archive = ZipFile.OpenRead(zip.FullName);
            for (var i = 0; i < archive.Entries.Count; i++)
            {
                var entry = archive.Entries[i];
                if (entry.Name.Length > 0)
                {
                    entries.Add(new ImportCandidate($"{zip.FullName}!/{entry.FullName}", zip, i));
                }
            }
        }
        catch (InvalidDataException)
        {
            return [new ImportCandidate(zip.FullName, zip)];
        }

        return entries;
    }

    /// <summary>The files the DICOMDIR names, in its records' order; null when it cannot be read (the folder is then walked).</summary>
    private static List<ImportCandidate>? ReferencedFiles(DirectoryInfo folder, FileInfo dicomdir)
    {
        if (dicomdir.Length > MaxDicomDirBytes)
        {
            return null;
        }

        DicomFile directory;
        try
        {
            directory = DicomFile.Open(File.ReadAllBytes(dicomdir.FullName));
        }
        catch (DicomFormatException)
        {
            return null;
        }

        var candidates = new List<ImportCandidate>();
        foreach (var components in DicomDirectory.ReferencedFileIds(directory.Dataset))
        {
            var shown = System.IO.Path.Combine([folder.FullName, .. components]);
            if (!components.All(DicomDirectory.IsSafeComponent))
            {
                candidates.Add(new ImportCandidate(shown, dicomdir, Missing: "The DICOMDIR names a file outside its folder (Referenced File ID, PS3.10 8.5)"));
                continue;
            }

            candidates.Add(Resolve(folder, components) is { } file
                ? new ImportCandidate(file.FullName, file)
                : new ImportCandidate(shown, dicomdir, Missing: "Named by the DICOMDIR (Referenced File ID, PS3.10 8.6) but not in the folder"));
        }

        return candidates;
    }

    /// <summary>
    /// The file a File ID names: as written, or else matched component by component without regard to case (File IDs
    /// are upper case, PS3.10 8.5, but media copied by hand often are not).
    /// </summary>
    private static FileInfo? Resolve(DirectoryInfo folder, string[] components)
    {
        var exact = new FileInfo(System.IO.Path.Combine([folder.FullName, .. components]));
        if (exact.Exists)
        {
            return exact;
        }

        var current = folder;
        for (var i = 0; i < components.Length - 1; i++)
        {
            current = current.EnumerateDirectories().FirstOrDefault(d => string.Equals(d.Name, components[i], StringComparison.OrdinalIgnoreCase));
            if (current is null || current.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                return null;
            }
        }

        return current.EnumerateFiles().FirstOrDefault(f => string.Equals(f.Name, components[^1], StringComparison.OrdinalIgnoreCase));
    }
}
