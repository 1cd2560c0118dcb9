namespace Pacs.Dicom.Network.Dimse;

/// <summary>C-ECHO-RQ (PS3.7 9.3.5.1).</summary>
public sealed record CEchoRequest(ushort MessageId, string AffectedSopClassUid = CEchoRequest.VerificationSopClassUid) : IDimseRequest
{
    /// <summary>Verification SOP Class (PS3.4 A.4).</summary>
    public const string VerificationSopClassUid = "1.2.840.10008.1.1";

    public CommandField CommandField => CommandField.CEchoRequest;
    public bool HasDataSet => false;

    DicomDataset IDimseMessage.ToCommand()
    {
        var ds = DimseCommand.Create(CommandField, false);
        DimseCommand.SetString(ds, CommandTags.AffectedSopClassUid, AffectedSopClassUid);
        DimseCommand.SetUInt16(ds, CommandTags.MessageId, MessageId);
        return ds;
    }

    internal static CEchoRequest FromCommand(DicomDataset c) =>
        new(DimseCommand.RequireUInt16(c, CommandTags.MessageId), DimseCommand.GetString(c, CommandTags.AffectedSopClassUid) ?? VerificationSopClassUid);
}
