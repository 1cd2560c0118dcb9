namespace Pacs.Dicom.Network.Dimse;

/// <summary>C-FIND-RSP (PS3.7 9.3.2.2): pending responses carry one match as identifier; the final one none.</summary>
public sealed record CFindResponse(ushort MessageIdBeingRespondedTo, DimseStatus Status, string? AffectedSopClassUid, DicomDataset? Identifier) : IDimseResponse
{
    public CommandField CommandField => CommandField.CFindResponse;
    public bool HasDataSet => Identifier is not null;

    DicomDataset IDimseMessage.ToCommand()
    {
        var ds = DimseCommand.Create(CommandField, HasDataSet);
        DimseCommand.SetString(ds, CommandTags.AffectedSopClassUid, AffectedSopClassUid);
        DimseCommand.SetUInt16(ds, CommandTags.MessageIdBeingRespondedTo, MessageIdBeingRespondedTo);
        DimseCommand.SetStatus(ds, Status);
        return ds;
    }

    internal static CFindResponse FromCommand(DicomDataset c, DicomDataset? identifier) => new(
        DimseCommand.RequireUInt16(c, CommandTags.MessageIdBeingRespondedTo), DimseCommand.GetStatus(c),
        DimseCommand.GetString(c, CommandTags.AffectedSopClassUid), identifier);
}
