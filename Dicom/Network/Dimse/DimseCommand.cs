using System.Buffers.Binary;
using System.Text;

namespace Pacs.Dicom.Network.Dimse;

/// <summary>Typed access to a command set (PS3.7 E.1) shared by the message records.</summary>
internal static class DimseCommand
{
    /// <summary>PS3.7 E.1: 0x0101 means no data set follows; any other value means one does.</summary>
    public const ushort NoDataSet = 0x0101;
    public const ushort DataSetPresent = 0x0000;

    public static DicomDataset Create(CommandField field, bool hasDataSet)
    {
        var ds = new DicomDataset(12);
        SetUInt16(ds, CommandTags.CommandField, (ushort)field);
        SetUInt16(ds, CommandTags.CommandDataSetType, hasDataSet ? DataSetPresent : NoDataSet);
        return ds;
    }

    public static CommandField GetCommandField(DicomDataset ds) =>
        (CommandField)(GetUInt16(ds, CommandTags.CommandField) ?? throw Missing(CommandTags.CommandField));

    public static bool HasDataSet(DicomDataset ds) => GetUInt16(ds, CommandTags.CommandDataSetType) is { } t && t != NoDataSet;

    public static ushort? GetUInt16(DicomDataset ds, DicomTag tag) =>
        ds.TryGetElement(tag, out var e) && e.Value.Length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(e.Value.Span) : null;

    public static ushort RequireUInt16(DicomDataset ds, DicomTag tag) => GetUInt16(ds, tag) ?? throw Missing(tag);

    public static string? GetString(DicomDataset ds, DicomTag tag) =>
        ds.TryGetElement(tag, out var e) ? Encoding.ASCII.GetString(e.Value.Span).Trim('\0', ' ') : null;

    public static string RequireString(DicomDataset ds, DicomTag tag) => GetString(ds, tag) ?? throw Missing(tag);

    public static void SetUInt16(DicomDataset ds, DicomTag tag, ushort value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        ds.Set(tag, DicomVR.US, b);
    }

    /// <summary>UI values are padded with NUL, AE and LO with space, to even length (PS3.5 6.2).</summary>
    public static void SetString(DicomDataset ds, DicomTag tag, string? value)
    {
        if (value is null)
        {
            return;
        }

        var vr = CommandTags.VROf(tag);
        var bytes = Encoding.ASCII.GetBytes(value);
        if ((bytes.Length & 1) == 1)
        {
            Array.Resize(ref bytes, bytes.Length + 1);
            bytes[^1] = vr == DicomVR.UI ? (byte)0 : (byte)' ';
        }
        ds.Set(tag, vr, bytes);
    }

    public static DimseStatus GetStatus(DicomDataset ds)
    {
        var code = RequireUInt16(ds, CommandTags.Status);
        DicomTag? offending = ds.TryGetElement(CommandTags.OffendingElement, out var e) && e.Value.Length >= 4
            ? new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(e.Value.Span), BinaryPrimitives.ReadUInt16LittleEndian(e.Value.Span[2..]))
            : null;
        return new DimseStatus(code, GetString(ds, CommandTags.ErrorComment), offending);
    }

    public static void SetStatus(DicomDataset ds, DimseStatus status)
    {
        SetUInt16(ds, CommandTags.Status, status.Code);
        if (status.OffendingElement is { } tag)
        {
            // AT is encoded as two 16-bit little-endian halves, group first (PS3.5 6.2).
            var b = new byte[4];
            BinaryPrimitives.WriteUInt16LittleEndian(b, tag.Group);
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), tag.Element);
            ds.Set(CommandTags.OffendingElement, DicomVR.AT, b);
        }
        if (status.ErrorComment is { } comment)
        {
            SetString(ds, CommandTags.ErrorComment, DimseStatus.TruncateErrorComment(comment));
        }
    }

    public static DicomFormatException Missing(DicomTag tag) => new("command lacks a required element", 0, tag);
}
