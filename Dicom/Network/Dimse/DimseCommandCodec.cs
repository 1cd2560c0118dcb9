using System.Buffers;
using System.Buffers.Binary;
using Pacs.Dicom.IO;

namespace Pacs.Dicom.Network.Dimse;

/// <summary>
/// Command sets (PS3.7 6.3.1, E.1): always Implicit VR Little Endian, only group 0000, led by Command Group Length
/// (0000,0000) which the encoder recomputes. Bytes go through the shared <see cref="DicomReader"/>/<see cref="DicomWriter"/>.
/// </summary>
internal static class DimseCommandCodec
{
    /// <summary>Upper bound for a command set; real ones are a few hundred bytes.</summary>
    public const int MaxCommandLength = 64 * 1024;

    public static DicomDataset Decode(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > MaxCommandLength)
        {
            throw new DicomFormatException($"command set of {bytes.Length} bytes exceeds {MaxCommandLength}", 0);
        }

        var command = DicomReader.ReadDataset(bytes, DicomTransferSyntax.ImplicitVRLittleEndian).Dataset;
        foreach (var e in command)
        {
            if (e.Tag.Group != 0x0000)
            {
                throw new DicomFormatException("command set holds an element outside group 0000", 0, e.Tag);
            }

            if (e.Payload is not null)
            {
                throw new DicomFormatException("command element with a sequence or undefined length", 0, e.Tag);
            }
        }
        return command;
    }

    public static byte[] Encode(DicomDataset command)
    {
        var body = command.Clone();
        body.Remove(CommandTags.CommandGroupLength);
        var encoded = DicomWriter.ToBytes(body, DicomTransferSyntax.ImplicitVRLittleEndian);
        var bytes = new byte[12 + encoded.Length];
        // (0000,0000) UL, length 4, value = bytes that follow (PS3.7 E.1).
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)encoded.Length);
        encoded.CopyTo(bytes, 12);
        return bytes;
    }
}
