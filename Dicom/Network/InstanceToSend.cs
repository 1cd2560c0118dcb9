using Pacs.Dicom.IO;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Dicom.Network;

/// <summary>
/// An instance to send as a C-STORE sub-operation, opened only when its turn comes. The stream yields the data set
/// (no preamble or meta header) in <see cref="TransferSyntax"/>.
/// </summary>
public sealed record InstanceToSend(
    string SopClassUid,
    string SopInstanceUid,
    DicomTransferSyntax TransferSyntax,
    Func<CancellationToken, ValueTask<Stream>> OpenDataSetAsync)
{
    /// <summary>Describes a Part 10 file from its meta header (PS3.10 7.1); the data set is opened at its offset when sent.</summary>
    public static async Task<InstanceToSend> FromFileAsync(string path, CancellationToken cancellationToken = default)
    {
        DicomReadResult header;
        var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 16 * 1024, useAsync: true);
        await using (probe.ConfigureAwait(false))
        {
            header = await DicomReader.ReadFileAsync(probe, DicomReadOptions.HeaderOnly, cancellationToken).ConfigureAwait(false);
        }

        var meta = header.FileMetaInformation ?? throw new DicomFormatException("not a Part 10 file: no file meta information", 0);
        var sopClass = meta.GetString(DicomTag.MediaStorageSOPClassUID) ?? header.Dataset.GetString(DicomTag.SOPClassUID)
            ?? throw new DicomFormatException("no SOP class UID", 0, DicomTag.MediaStorageSOPClassUID);
        var sopInstance = meta.GetString(DicomTag.MediaStorageSOPInstanceUID) ?? header.Dataset.GetString(DicomTag.SOPInstanceUID)
            ?? throw new DicomFormatException("no SOP instance UID", 0, DicomTag.MediaStorageSOPInstanceUID);
        var offset = header.DatasetOffset;
        return new InstanceToSend(sopClass, sopInstance, header.TransferSyntax, _ =>
        {
            var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true) { Position = offset };
            return ValueTask.FromResult<Stream>(s);
        });
    }
}
