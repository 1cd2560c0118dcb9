namespace Pacs.Dicom.Tests.Corpus;

/// <summary>Locates the copied corpus next to the test assembly.</summary>
internal static class CorpusFiles
{
    public static string Directory(string name) => Path.Combine(AppContext.BaseDirectory, "Corpus", name);

    public static IEnumerable<string> TestFiles() =>
        System.IO.Directory.EnumerateFiles(Directory("test_files"), "*.dcm").Order(StringComparer.Ordinal);

    /// <summary>
    /// Files that are structurally broken in the corpus: the two truncated ones (pydicom's README says so) and
    /// no_meta.dcm, whose first byte is stray (dcmdump also fails on it with "larger than remaining bytes").
    /// </summary>
    public static readonly HashSet<string> Broken = new(StringComparer.Ordinal)
    {
        "MR_truncated.dcm", "rtplan_truncated.dcm", "no_meta.dcm",
    };

    public static TheoryData<string> Names(bool includeBroken = false)
    {
        var data = new TheoryData<string>();
        foreach (var f in TestFiles())
        {
            var name = Path.GetFileName(f);
            if (includeBroken || !Broken.Contains(name))
            {
                data.Add(name);
            }
        }
        return data;
    }

    public static string PathOf(string name) => Path.Combine(Directory("test_files"), name);
}
