namespace Pacs.Dicom.IO;

/// <summary>
/// A DICOMDIR (PS3.10 8.6; PS3.3 F.2, the Basic Directory IOD): the media's directory, whose records name the files
/// of the file-set by their File IDs. It is not an instance to store; the files it names are.
/// </summary>
public static class DicomDirectory
{
    /// <summary>PS3.10 8.6: the DICOMDIR's own File ID, in the root of the file-set.</summary>
    public const string FileName = "DICOMDIR";

    /// <summary>
    /// The Referenced File ID (0004,1500) of every directory record (Directory Record Sequence (0004,1220), PS3.3
    /// F.3.2.2), in record order, once each: the File ID's components, root first (PS3.10 8.2, 8.5).
    /// </summary>
    public static IReadOnlyList<string[]> ReferencedFileIds(DicomDataset dicomdir)
    {
        ArgumentNullException.ThrowIfNull(dicomdir);
        var ids = new List<string[]>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in dicomdir.GetSequence(DicomTag.DirectoryRecordSequence)?.Items ?? [])
        {
            var components = record.GetStrings(DicomTag.ReferencedFileID).Select(c => c.Trim()).ToArray();
            if (components.Length > 0 && seen.Add(string.Join('\\', components)))
            {
                ids.Add(components);
            }
        }

        return ids;
    }

    /// <summary>
    /// Whether <paramref name="component"/> can name a file inside the file-set's folder. PS3.10 8.5 allows 1 to 8
    /// characters of A-Z, 0-9 and '_'; lenient on case, length, '.' and '-' (media written by careless tools), never on
    /// what could leave the folder ("." and "..", separators).
    /// </summary>
    public static bool IsSafeComponent(string component)
    {
        ArgumentNullException.ThrowIfNull(component);
        return component.Length is >= 1 and <= 255 && component is not ("." or "..")
            && component.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
    }
}
