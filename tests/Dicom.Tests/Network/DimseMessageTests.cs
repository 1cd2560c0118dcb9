using System.Buffers;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Dimse;
using Xunit;

namespace Pacs.Dicom.Tests.Network;

public sealed class DimseMessageTests
{
    private static IDimseMessage RoundTrip(IDimseMessage message, DicomDataset? dataSet = null)
    {
        var bytes = DimseCommandCodec.Encode(message.ToCommand());
        // PS3.7 E.1: Command Group Length first, equal to the bytes that follow it.
        Assert.Equal(new byte[] { 0, 0, 0, 0, 4, 0, 0, 0 }, bytes[..8]);
        Assert.Equal(bytes.Length - 12, BitConverter.ToInt32(bytes, 8));
        var command = DimseCommandCodec.Decode(bytes);
        Assert.Equal(message.HasDataSet, DimseCommand.HasDataSet(command));
        return DimseMessages.FromCommand(command, dataSet);
    }

    [Fact]
    public void Echo_RoundTrips()
    {
        Assert.Equal(new CEchoRequest(7), RoundTrip(new CEchoRequest(7)));
        Assert.Equal(new CEchoResponse(7, DimseStatus.Success), RoundTrip(new CEchoResponse(7, DimseStatus.Success)));
    }

    [Fact]
    public void Store_RoundTripsWithMoveOriginator()
    {
        var rq = new CStoreRequest(3, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5", DimsePriority.High, "MOVER", 12);
        Assert.Equal(rq, RoundTrip(rq));
        var rsp = new CStoreResponse(3, new DimseStatus(0xA700, "disk full", new DicomTag(0x7FE00010)), "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5");
        Assert.Equal(rsp, RoundTrip(rsp));
    }

    [Fact]
    public void Store_ErrorCommentLongerThan64Characters_SentAsItsFirst64()
    {
        // PS3.7 C.4: Error Comment (0000,0902) is LO, 64 characters.
        var comment = new string('x', 60) + "abcdefgh";
        var rsp = (CStoreResponse)RoundTrip(new CStoreResponse(3, new DimseStatus(0xC000, comment), "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5"));
        Assert.Equal(comment[..64], rsp.Status.ErrorComment);
        Assert.Equal(comment[..64], DimseStatus.TruncateErrorComment(comment));
        Assert.Equal("disk full", DimseStatus.TruncateErrorComment("disk full"));
    }

    [Fact]
    public void MoveAndGetResponses_CarryCounts()
    {
        var move = (CMoveRequest)RoundTrip(new CMoveRequest(9, "1.2.840.10008.5.1.4.1.2.2.2", "DEST", new DicomDataset()));
        Assert.Equal("DEST", move.MoveDestination);
        Assert.Equal((ushort)9, move.MessageId);
        var rsp = (CGetResponse)RoundTrip(new CGetResponse(9, DimseStatus.Pending, "1.2", new SubOperationCounts(3, 1, 2, 0)));
        Assert.Equal(new SubOperationCounts(3, 1, 2, 0), rsp.Counts);
        var cancel = (CCancelRequest)RoundTrip(new CCancelRequest(9));
        Assert.Equal((ushort)9, cancel.MessageIdBeingRespondedTo);
    }

    [Theory]
    [InlineData(0x0000, DimseStatusCategory.Success)]
    [InlineData(0xFF00, DimseStatusCategory.Pending)]
    [InlineData(0xFF01, DimseStatusCategory.Pending)]
    [InlineData(0xFE00, DimseStatusCategory.Cancel)]
    [InlineData(0xB000, DimseStatusCategory.Warning)]
    [InlineData(0x0107, DimseStatusCategory.Warning)]
    [InlineData(0xA700, DimseStatusCategory.Failure)]
    [InlineData(0xC000, DimseStatusCategory.Failure)]
    [InlineData(0x0122, DimseStatusCategory.Failure)]
    public void DimseStatus_Category_FollowsPs37AnnexC(ushort code, DimseStatusCategory category) =>
        Assert.Equal(category, new DimseStatus(code).Category);

    [Fact]
    public void CommandCodec_ElementOutsideGroup0000_Throws()
    {
        var bytes = new byte[] { 0x08, 0x00, 0x18, 0x00, 2, 0, 0, 0, 0x31, 0 };
        Assert.Throws<DicomFormatException>(() => DimseCommandCodec.Decode(bytes));
    }
}
