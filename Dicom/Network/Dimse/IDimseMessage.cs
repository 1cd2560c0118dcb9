namespace Pacs.Dicom.Network.Dimse;

/// <summary>A DIMSE message (PS3.7 9): a command set, and for some messages a data set carried alongside.</summary>
public interface IDimseMessage
{
    CommandField CommandField { get; }

    /// <summary>Whether a data set follows the command (Command Data Set Type other than 0101H, PS3.7 E.1).</summary>
    bool HasDataSet { get; }

    internal DicomDataset ToCommand();
}

public interface IDimseRequest : IDimseMessage
{
    ushort MessageId { get; }
}

public interface IDimseResponse : IDimseMessage
{
    ushort MessageIdBeingRespondedTo { get; }
    DimseStatus Status { get; }
}

/// <summary>Counts of C-MOVE/C-GET sub-operations (0000,1020-1023), PS3.7 9.1.3.1 and 9.1.4.1.</summary>
public readonly record struct SubOperationCounts(ushort? Remaining, ushort Completed, ushort Failed, ushort Warning)
{
    internal void WriteTo(DicomDataset ds)
    {
        if (Remaining is { } r)
        {
            DimseCommand.SetUInt16(ds, CommandTags.NumberOfRemainingSuboperations, r);
        }

        DimseCommand.SetUInt16(ds, CommandTags.NumberOfCompletedSuboperations, Completed);
        DimseCommand.SetUInt16(ds, CommandTags.NumberOfFailedSuboperations, Failed);
        DimseCommand.SetUInt16(ds, CommandTags.NumberOfWarningSuboperations, Warning);
    }

    internal static SubOperationCounts? ReadFrom(DicomDataset ds)
    {
        var completed = DimseCommand.GetUInt16(ds, CommandTags.NumberOfCompletedSuboperations);
        var failed = DimseCommand.GetUInt16(ds, CommandTags.NumberOfFailedSuboperations);
        var warning = DimseCommand.GetUInt16(ds, CommandTags.NumberOfWarningSuboperations);
        var remaining = DimseCommand.GetUInt16(ds, CommandTags.NumberOfRemainingSuboperations);
        if (completed is null && failed is null && warning is null && remaining is null)
        {
            return null;
        }

        return new SubOperationCounts(remaining, completed ?? 0, failed ?? 0, warning ?? 0);
    }
}

/// <summary>Decodes a command set into its typed message (PS3.7 9.3).</summary>
public static class DimseMessages
{
    public static IDimseMessage FromCommand(DicomDataset command, DicomDataset? dataSet = null) => DimseCommand.GetCommandField(command) switch
    {
        CommandField.CEchoRequest => CEchoRequest.FromCommand(command),
        CommandField.CEchoResponse => CEchoResponse.FromCommand(command),
        CommandField.CStoreRequest => CStoreRequest.FromCommand(command),
        CommandField.CStoreResponse => CStoreResponse.FromCommand(command),
        CommandField.CFindRequest => CFindRequest.FromCommand(command, dataSet),
        CommandField.CFindResponse => CFindResponse.FromCommand(command, dataSet),
        CommandField.CMoveRequest => CMoveRequest.FromCommand(command, dataSet),
        CommandField.CMoveResponse => CMoveResponse.FromCommand(command, dataSet),
        CommandField.CGetRequest => CGetRequest.FromCommand(command, dataSet),
        CommandField.CGetResponse => CGetResponse.FromCommand(command, dataSet),
        CommandField.CCancelRequest => CCancelRequest.FromCommand(command),
        var f => throw new DicomFormatException($"unsupported command field 0x{(ushort)f:X4}", 0, CommandTags.CommandField),
    };
}
