namespace Pacs.Dicom.Network.Dimse;

/// <summary>C-ECHO-RSP (PS3.7 9.3.5.2).</summary>
public sealed record CEchoResponse(ushort MessageIdBeingRespondedTo, DimseStatus Status, string AffectedSopClassUid = CEchoRequest.VerificationSopClassUid) : IDimseResponse
{
    public CommandField CommandField => CommandField.CEchoResponse;
    public bool HasDataSet => false;

    DicomDataset IDimseMessage.ToCommand()
    {
        var ds = DimseCommand.Create(CommandField, false);
        DimseCommand.SetString(ds, CommandTags.AffectedSopClassUid, AffectedSopClassUid);
        DimseCommand.SetUInt16(ds, CommandTags.MessageIdBeingRespondedTo, MessageIdBeingRespondedTo);
        DimseCommand.SetStatus(ds, Status);
        return ds;
    }

    internal static CEchoResponse FromCommand(DicomDataset c) =>
        new(DimseCommand.RequireUInt16(c, CommandTags.MessageIdBeingRespondedTo), DimseCommand.GetStatus(c),
            DimseCommand.GetString(c, CommandTags.AffectedSopClassUid) ?? CEchoRequest.VerificationSopClassUid);
}
