namespace Pacs.Dicom.Network.Dimse;

/// <summary>Command elements of group 0000 (PS3.7 E.1, Table E.1-1) and their fixed VRs.</summary>
internal static class CommandTags
{
    public static readonly DicomTag CommandGroupLength = new(0x00000000);
    public static readonly DicomTag AffectedSopClassUid = new(0x00000002);
    public static readonly DicomTag RequestedSopClassUid = new(0x00000003);
    public static readonly DicomTag CommandField = new(0x00000100);
    public static readonly DicomTag MessageId = new(0x00000110);
    public static readonly DicomTag MessageIdBeingRespondedTo = new(0x00000120);
    public static readonly DicomTag MoveDestination = new(0x00000600);
    public static readonly DicomTag Priority = new(0x00000700);
    public static readonly DicomTag CommandDataSetType = new(0x00000800);
    public static readonly DicomTag Status = new(0x00000900);
    public static readonly DicomTag OffendingElement = new(0x00000901);
    public static readonly DicomTag ErrorComment = new(0x00000902);
    public static readonly DicomTag ErrorId = new(0x00000903);
    public static readonly DicomTag AffectedSopInstanceUid = new(0x00001000);
    public static readonly DicomTag RequestedSopInstanceUid = new(0x00001001);
    public static readonly DicomTag NumberOfRemainingSuboperations = new(0x00001020);
    public static readonly DicomTag NumberOfCompletedSuboperations = new(0x00001021);
    public static readonly DicomTag NumberOfFailedSuboperations = new(0x00001022);
    public static readonly DicomTag NumberOfWarningSuboperations = new(0x00001023);
    public static readonly DicomTag MoveOriginatorApplicationEntityTitle = new(0x00001030);
    public static readonly DicomTag MoveOriginatorMessageId = new(0x00001031);


    /// <summary>PS3.7 Table E.1-1: every command element has one fixed VR.</summary>
    public static DicomVR VROf(DicomTag tag) => tag.Element switch
    {
        0x0000 => DicomVR.UL,
        0x0002 or 0x0003 or 0x1000 or 0x1001 => DicomVR.UI,
        0x0600 or 0x1030 => DicomVR.AE,
        0x0901 or 0x1005 => DicomVR.AT,
        0x0902 => DicomVR.LO,
        _ => DicomVR.US,
    };
}

/// <summary>Command Field values (PS3.7 E.1, Table E.1-1).</summary>
public enum CommandField : ushort
{
    CStoreRequest = 0x0001,
    CStoreResponse = 0x8001,
    CGetRequest = 0x0010,
    CGetResponse = 0x8010,
    CFindRequest = 0x0020,
    CFindResponse = 0x8020,
    CMoveRequest = 0x0021,
    CMoveResponse = 0x8021,
    CEchoRequest = 0x0030,
    CEchoResponse = 0x8030,
    CCancelRequest = 0x0FFF,
}

/// <summary>Priority (0000,0700), PS3.7 9.1.1.1.6.</summary>
public enum DimsePriority : ushort
{
    Medium = 0,
    High = 1,
    Low = 2,
}
