namespace Pacs.Dicom.Network.Dimse;

/// <summary>
/// C-GET-RSP (PS3.7 9.3.3.2): sub-operation counts, and in a final response with failures an identifier holding
/// the Failed SOP Instance UID List (0008,0058).
/// </summary>
public sealed record CGetResponse(ushort MessageIdBeingRespondedTo, DimseStatus Status, string? AffectedSopClassUid, SubOperationCounts? Counts, DicomDataset? Identifier = null) : IDimseResponse
{
    public CommandField CommandField => CommandField.CGetResponse;
    public bool HasDataSet => Identifier is not null;

    DicomDataset IDimseMessage.ToCommand()
    {
        var ds = DimseCommand.Create(CommandField, HasDataSet);
        DimseCommand.SetString(ds, CommandTags.AffectedSopClassUid, AffectedSopClassUid);
        DimseCommand.SetUInt16(ds, CommandTags.MessageIdBeingRespondedTo, MessageIdBeingRespondedTo);
        DimseCommand.SetStatus(ds, Status);
        Counts?.WriteTo(ds);
        return ds;
    }

    /// <summary>The UIDs of (0008,0058) in the identifier, empty when absent.</summary>
    public string[] FailedSopInstanceUids => Identifier?.GetStrings(DicomTag.FailedSOPInstanceUIDList) ?? [];

    internal static CGetResponse FromCommand(DicomDataset c, DicomDataset? identifier) => new(
        DimseCommand.RequireUInt16(c, CommandTags.MessageIdBeingRespondedTo), DimseCommand.GetStatus(c),
        DimseCommand.GetString(c, CommandTags.AffectedSopClassUid), SubOperationCounts.ReadFrom(c), identifier);
}
