using Pacs.Dicom.IO;

namespace Pacs.Dicom;

/// <summary>A Part 10 file (PS3.10 7): File Meta Information plus the data set in its transfer syntax.</summary>
public sealed class DicomFile
{
    public DicomFile(DicomDataset fileMetaInformation, DicomDataset dataset, DicomTransferSyntax transferSyntax)
    {
        FileMetaInformation = fileMetaInformation;
        Dataset = dataset;
        TransferSyntax = transferSyntax;
    }

    public DicomDataset FileMetaInformation { get; }
    public DicomDataset Dataset { get; }
    public DicomTransferSyntax TransferSyntax { get; set; }

    /// <summary>
    /// Builds the File Meta Information for a data set (PS3.10 7.1): version, SOP class and instance from the data set,
    /// transfer syntax, our implementation class UID and version name, and optionally the sending AE title.
    /// </summary>
    public static DicomFile Create(DicomDataset dataset, DicomTransferSyntax transferSyntax, string? sourceAeTitle = null)
    {
        var meta = new DicomDataset();
        meta.Set(DicomTag.FileMetaInformationVersion, DicomVR.OB, new byte[] { 0x00, 0x01 });
        meta.SetString(DicomTag.MediaStorageSOPClassUID, DicomVR.UI, dataset.GetString(DicomTag.SOPClassUID) ?? "");
        meta.SetString(DicomTag.MediaStorageSOPInstanceUID, DicomVR.UI, dataset.GetString(DicomTag.SOPInstanceUID) ?? "");
        meta.SetString(DicomTag.TransferSyntaxUID, DicomVR.UI, transferSyntax.Uid);
        meta.SetString(DicomTag.ImplementationClassUID, DicomVR.UI, DicomUidGenerator.ImplementationClassUid);
        meta.SetString(DicomTag.ImplementationVersionName, DicomVR.SH, DicomUidGenerator.ImplementationVersionName);
        if (!string.IsNullOrEmpty(sourceAeTitle))
        {
            meta.SetString(DicomTag.SourceApplicationEntityTitle, DicomVR.AE, sourceAeTitle);
        }

        return new DicomFile(meta, dataset, transferSyntax);
    }

    /// <summary>Reads a whole Part 10 file (or bare data set) from memory.</summary>
    public static DicomFile Open(ReadOnlyMemory<byte> bytes, DicomReadOptions? options = null)
    {
        var result = DicomReader.ReadFile(bytes, options);
        return new DicomFile(result.FileMetaInformation ?? Create(result.Dataset, result.TransferSyntax).FileMetaInformation,
            result.Dataset, result.TransferSyntax);
    }

    public static async Task<DicomFile> OpenAsync(string path, DicomReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return Open(bytes, options);
    }

    public byte[] ToBytes(DicomWriteOptions? options = null) => DicomWriter.ToFileBytes(this, options);
}
