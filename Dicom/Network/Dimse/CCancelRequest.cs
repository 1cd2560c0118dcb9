namespace Pacs.Dicom.Network.Dimse;

/// <summary>C-CANCEL-RQ (PS3.7 9.3.2.3, 9.3.3.3, 9.3.4.3): asks the SCP to stop the operation with that message ID.</summary>
public sealed record CCancelRequest(ushort MessageIdBeingRespondedTo) : IDimseMessage
{
    public CommandField CommandField => CommandField.CCancelRequest;
    public bool HasDataSet => false;

    DicomDataset IDimseMessage.ToCommand()
    {
        var ds = DimseCommand.Create(CommandField, false);
        DimseCommand.SetUInt16(ds, CommandTags.MessageIdBeingRespondedTo, MessageIdBeingRespondedTo);
        return ds;
    }

    internal static CCancelRequest FromCommand(DicomDataset c) => new(DimseCommand.RequireUInt16(c, CommandTags.MessageIdBeingRespondedTo));
}
