using Pacs.Dicom;
using Pacs.Dicom.Network.Pdus;
using Pacs.Dicom.Query;
using Pacs.Gateway.Dimse;

namespace Pacs.Gateway.Tests;

public sealed class GatewayAssociationPolicyTests
{
    private const string CT = "1.2.840.10008.5.1.4.1.1.2";

    private static AssociateRequestPdu Request(string called, string calling, params PresentationContextProposal[] contexts) =>
        new(called, calling, contexts, new UserInformation { MaximumLength = 16384, ImplementationClassUid = "1.2.3" });

    [Fact]
    public async Task Decide_OtherCalledAeTitle_RejectsCalledAeNotRecognised()
    {
        var decision = await GatewayAssociationPolicy.Create("CLINTON", []).DecideAsync(Request("OTHER", "SCU", new PresentationContextProposal(1, CT, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid])), null, default);
        Assert.Equal(AssociateRejectReason.CalledAeTitleNotRecognized, decision.Reject?.Reason);
    }

    [Fact]
    public async Task Decide_CallingAeNotInAllowList_RejectsCallingAeNotRecognised()
    {
        var decision = await GatewayAssociationPolicy.Create("CLINTON", ["MODALITY1"]).DecideAsync(Request("CLINTON", "INTRUDER", new PresentationContextProposal(1, CT, [DicomTransferSyntax.ExplicitVRLittleEndian.Uid])), null, default);
        Assert.Equal(AssociateRejectReason.CallingAeTitleNotRecognized, decision.Reject?.Reason);
    }

    [Theory]
    [InlineData("1.2.840.10008.1.2.4.91")] // JPEG 2000
    [InlineData("1.2.840.10008.1.2.4.51")] // JPEG Extended
    [InlineData("1.2.840.10008.1.2.5")] // RLE
    [InlineData("1.2.840.10008.1.2")] // Implicit VR LE
    public async Task Decide_StorageInAnyCarriedSyntax_AcceptsThatSyntax(string syntax)
    {
        var decision = await GatewayAssociationPolicy.Create("CLINTON", []).DecideAsync(Request("CLINTON", "SCU", new PresentationContextProposal(1, CT, [syntax])), null, default);
        Assert.Null(decision.Reject);
        var result = Assert.Single(decision.Results);
        Assert.Equal(PresentationContextResultReason.Acceptance, result.Result);
        Assert.Equal(syntax, result.TransferSyntax);
    }

    [Fact]
    public async Task Decide_QueryRetrieveAndVerification_Accepted()
    {
        var contexts = new[] { "1.2.840.10008.1.1", QueryRetrieveSopClass.PatientRootFind, QueryRetrieveSopClass.StudyRootMove, QueryRetrieveSopClass.StudyRootGet }
            .Select((uid, i) => new PresentationContextProposal((byte)(2 * i + 1), uid, [DicomTransferSyntax.ImplicitVRLittleEndian.Uid])).ToArray();
        var decision = await GatewayAssociationPolicy.Create("CLINTON", []).DecideAsync(Request("CLINTON", "SCU", contexts), null, default);
        Assert.All(decision.Results, r => Assert.Equal(PresentationContextResultReason.Acceptance, r.Result));
    }
}
