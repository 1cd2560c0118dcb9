namespace Pacs.Dicom.Network.Dimse;

/// <summary>C-GET-RQ (PS3.7 9.3.3.1) with its identifier.</summary>
public sealed record CGetRequest(ushort MessageId, string AffectedSopClassUid, DicomDataset Identifier, DimsePriority Priority = DimsePriority.Medium) : IDimseRequest
{
    public CommandField CommandField => CommandField.CGetRequest;
    public bool HasDataSet => true;

    DicomDataset IDimseMessage.ToCommand()
    {
        var ds = DimseCommand.Create(CommandField, true);
        DimseCommand.SetString(ds, CommandTags.AffectedSopClassUid, AffectedSopClassUid);
        DimseCommand.SetUInt16(ds, CommandTags.MessageId, MessageId);
        DimseCommand.SetUInt16(ds, CommandTags.Priority, (ushort)Priority);

        return ds;
    }

    internal static CGetRequest FromCommand(DicomDataset c, DicomDataset? identifier) => new(
        DimseCommand.RequireUInt16(c, CommandTags.MessageId), DimseCommand.RequireString(c, CommandTags.AffectedSopClassUid),
        identifier ?? new DicomDataset(), (DimsePriority)(DimseCommand.GetUInt16(c, CommandTags.Priority) ?? 0));
}
