using Pacs.Dicom.IO;

namespace Pacs.Dicom.Tests.IO;

/// <summary>The files a DICOMDIR names (PS3.10 8.6) and which File ID components may name a file in its folder.</summary>
public sealed class DicomDirectoryTests
{
    [Fact]
    public void ReferencedFileIds_RecordsWithAndWithoutFileIds_ComponentsInRecordOrderOnce()
    {
        static DicomDataset Record(string type, params string[] fileId)
        {
            var record = new DicomDataset();
            record.SetString(DicomTag.DirectoryRecordType, DicomVR.CS, type);
            if (fileId.Length > 0)
            {
                record.SetStrings(DicomTag.ReferencedFileID, DicomVR.CS, fileId);
            }

            return record;
        }

        var dicomdir = new DicomDataset();
        dicomdir.Set(DicomTag.DirectoryRecordSequence, new DicomSequence(
        [
            Record("PATIENT"), Record("STUDY"), Record("SERIES"),
            Record("IMAGE", "IMAGES", "IM2"), Record("IMAGE", "IMAGES", "IM1"), Record("IMAGE", "IMAGES", "IM2"), Record("IMAGE", "ROOTIMG"),
        ]));

        Assert.Equal(["IMAGES/IM2", "IMAGES/IM1", "ROOTIMG"], DicomDirectory.ReferencedFileIds(dicomdir).Select(c => string.Join('/', c)));
        Assert.Empty(DicomDirectory.ReferencedFileIds(new DicomDataset()));
    }

    [Theory]
    [InlineData("IM000001", true)]
    [InlineData("im_1", true)]
    [InlineData("image-1.dcm", true)]
    [InlineData("..", false)]
    [InlineData(".", false)]
    [InlineData("", false)]
    [InlineData("A/B", false)]
    [InlineData("/etc", false)]
    [InlineData("C:", false)]
    public void IsSafeComponent_NamesInsideTheFolderOnly(string component, bool safe) =>
        Assert.Equal(safe, DicomDirectory.IsSafeComponent(component));
}
