using System.Text;
using Pacs.Gateway.Ingest;

namespace Pacs.Gateway.Tests;

/// <summary>Which files a folder import skips before the funnel sees them (PS3.10 7.1), and why.</summary>
public sealed class FolderImportTests
{
    private static byte[] Part10(string rest) => [.. new byte[128], .. "DICM"u8, .. Encoding.ASCII.GetBytes(rest)];

    [Fact]
    public void NotDicomReason_Part10Instance_Null()
    {
        Assert.Null(FolderImport.NotDicomReason(Part10("\u0002\0\0\0UL\u0004\0...1.2.840.10008.5.1.4.1.1.2\0")));
        Assert.Null(FolderImport.NotDicomReason("DICM"u8)); // DICM without a preamble: the funnel reads it too
    }

    [Fact]
    public void NotDicomReason_TextZipEmptyAndDicomDir_Named()
    {
        Assert.Contains("no DICM prefix", FolderImport.NotDicomReason("Patient CD. Insert into a viewer."u8), StringComparison.Ordinal);
        Assert.Contains("no DICM prefix", FolderImport.NotDicomReason([]), StringComparison.Ordinal);
        Assert.Contains("zip", FolderImport.NotDicomReason("PK\u0003\u0004rest of a zip"u8), StringComparison.Ordinal);
        Assert.Contains("DICOMDIR", FolderImport.NotDicomReason(Part10("\u0002\0\u0002\0UI\u0014\01.2.840.10008.1.3.10\0")), StringComparison.Ordinal);
    }
}
