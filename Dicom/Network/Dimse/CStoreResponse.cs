namespace Pacs.Dicom.Network.Dimse;

/// <summary>C-STORE-RSP (PS3.7 9.3.1.2).</summary>
public sealed record CStoreResponse(ushort MessageIdBeingRespondedTo, DimseStatus Status, string? AffectedSopClassUid, string? AffectedSopInstanceUid) : IDimseResponse
{
    public CommandField CommandField => CommandField.CStoreResponse;
    public bool HasDataSet => false;

    DicomDataset IDimseMessage.ToCommand()
    {
        var ds = DimseCommand.Create(CommandField, false);
        DimseCommand.SetString(ds, CommandTags.AffectedSopClassUid, AffectedSopClassUid);
        DimseCommand.SetUInt16(ds, CommandTags.MessageIdBeingRespondedTo, MessageIdBeingRespondedTo);
        DimseCommand.SetStatus(ds, Status);
        DimseCommand.SetString(ds, CommandTags.AffectedSopInstanceUid, AffectedSopInstanceUid);
        return ds;
    }

    internal static CStoreResponse FromCommand(DicomDataset c) => new(
        DimseCommand.RequireUInt16(c, CommandTags.MessageIdBeingRespondedTo), DimseCommand.GetStatus(c),
        DimseCommand.GetString(c, CommandTags.AffectedSopClassUid), DimseCommand.GetString(c, CommandTags.AffectedSopInstanceUid));
}
