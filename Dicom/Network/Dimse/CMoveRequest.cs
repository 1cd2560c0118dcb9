namespace Pacs.Dicom.Network.Dimse;

/// <summary>C-MOVE-RQ (PS3.7 9.3.4.1) with its identifier.</summary>
public sealed record CMoveRequest(ushort MessageId, string AffectedSopClassUid, string MoveDestination, DicomDataset Identifier, DimsePriority Priority = DimsePriority.Medium) : IDimseRequest
{
    public CommandField CommandField => CommandField.CMoveRequest;
    public bool HasDataSet => true;

    DicomDataset IDimseMessage.ToCommand()
    {
        var ds = DimseCommand.Create(CommandField, true);
        DimseCommand.SetString(ds, CommandTags.AffectedSopClassUid, AffectedSopClassUid);
        DimseCommand.SetUInt16(ds, CommandTags.MessageId, MessageId);
        DimseCommand.SetUInt16(ds, CommandTags.Priority, (ushort)Priority);
        DimseCommand.SetString(ds, CommandTags.MoveDestination, MoveDestination);
        return ds;
    }

    internal static CMoveRequest FromCommand(DicomDataset c, DicomDataset? identifier) => new(
        DimseCommand.RequireUInt16(c, CommandTags.MessageId), DimseCommand.RequireString(c, CommandTags.AffectedSopClassUid), DimseCommand.RequireString(c, CommandTags.MoveDestination),
        identifier ?? new DicomDataset(), (DimsePriority)(DimseCommand.GetUInt16(c, CommandTags.Priority) ?? 0));
}
