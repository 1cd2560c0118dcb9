namespace Pacs.Dicom.Network.Dimse;

/// <summary>
/// C-STORE-RQ (PS3.7 9.3.1.1). The data set is not held here: it is streamed between the association and the
/// application so that an instance of any size passes with bounded memory.
/// </summary>
public sealed record CStoreRequest(
    ushort MessageId,
    string AffectedSopClassUid,
    string AffectedSopInstanceUid,
    DimsePriority Priority = DimsePriority.Medium,
    string? MoveOriginatorAeTitle = null,
    ushort? MoveOriginatorMessageId = null) : IDimseRequest
{
    public CommandField CommandField => CommandField.CStoreRequest;
    public bool HasDataSet => true;

    DicomDataset IDimseMessage.ToCommand()
    {
        var ds = DimseCommand.Create(CommandField, true);
        DimseCommand.SetString(ds, CommandTags.AffectedSopClassUid, AffectedSopClassUid);
        DimseCommand.SetUInt16(ds, CommandTags.MessageId, MessageId);
        DimseCommand.SetUInt16(ds, CommandTags.Priority, (ushort)Priority);
        DimseCommand.SetString(ds, CommandTags.AffectedSopInstanceUid, AffectedSopInstanceUid);
        DimseCommand.SetString(ds, CommandTags.MoveOriginatorApplicationEntityTitle, MoveOriginatorAeTitle);
        if (MoveOriginatorMessageId is { } id)
        {
            DimseCommand.SetUInt16(ds, CommandTags.MoveOriginatorMessageId, id);
        }

        return ds;
    }

    internal static CStoreRequest FromCommand(DicomDataset c) => new(
        DimseCommand.RequireUInt16(c, CommandTags.MessageId),
        DimseCommand.RequireString(c, CommandTags.AffectedSopClassUid),
        DimseCommand.RequireString(c, CommandTags.AffectedSopInstanceUid),
        (DimsePriority)(DimseCommand.GetUInt16(c, CommandTags.Priority) ?? 0),
        DimseCommand.GetString(c, CommandTags.MoveOriginatorApplicationEntityTitle),
        DimseCommand.GetUInt16(c, CommandTags.MoveOriginatorMessageId));
}
