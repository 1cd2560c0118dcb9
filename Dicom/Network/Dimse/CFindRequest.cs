namespace Pacs.Dicom.Network.Dimse;

/// <summary>C-FIND-RQ (PS3.7 9.3.2.1) with its identifier.</summary>
public sealed record CFindRequest(ushort MessageId, string AffectedSopClassUid, DicomDataset Identifier, DimsePriority Priority = DimsePriority.Medium) : IDimseRequest
{
    public CommandField CommandField => CommandField.CFindRequest;
    public bool HasDataSet => true;

    DicomDataset IDimseMessage.ToCommand()
    {
        var ds = DimseCommand.Create(CommandField, true);
        DimseCommand.SetString(ds, CommandTags.AffectedSopClassUid, AffectedSopClassUid);
        DimseCommand.SetUInt16(ds, CommandTags.MessageId, MessageId);
        DimseCommand.SetUInt16(ds, CommandTags.Priority, (ushort)Priority);
        return ds;
    }

    internal static CFindRequest FromCommand(DicomDataset c, DicomDataset? identifier) => new(
        DimseCommand.RequireUInt16(c, CommandTags.MessageId), DimseCommand.RequireString(c, CommandTags.AffectedSopClassUid),
        identifier ?? new DicomDataset(), (DimsePriority)(DimseCommand.GetUInt16(c, CommandTags.Priority) ?? 0));
}
