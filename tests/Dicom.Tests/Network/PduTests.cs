using System.Buffers;
using System.Text;
using Pacs.Dicom.Network.Pdus;
using Xunit;

namespace Pacs.Dicom.Tests.Network;

public sealed class PduTests
{
    private static AssociateRequestPdu FullRequest() => new(
        "ARCHIVE", "MODALITY",
        [
            new PresentationContextProposal(1, "1.2.840.10008.1.1", ["1.2.840.10008.1.2"]),
            new PresentationContextProposal(3, "1.2.840.10008.5.1.4.1.1.2", ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]),
        ],
        new UserInformation
        {
            MaximumLength = 16384,
            ImplementationClassUid = "1.2.3.4.5",
            ImplementationVersionName = "PACS_1",
            AsynchronousOperationsWindow = new AsynchronousOperationsWindow(2, 3),
            RoleSelections = [new RoleSelection("1.2.840.10008.5.1.4.1.1.2", false, true)],
            ExtendedNegotiations = [new SopClassExtendedNegotiation("1.2.840.10008.5.1.4.1.2.2.1", new byte[] { 1, 1 })],
            CommonExtendedNegotiations = [new SopClassCommonExtendedNegotiation("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.4.2", ["1.2.3", "1.2.4"])],
            UserIdentityRequest = UserIdentityRequest.ForUsername("alice", "s3cret", positiveResponseRequested: true),
        });

    [Fact]
    public void AssociateRequest_EverySplit_RoundTrips()
    {
        var rq = FullRequest();
        var bytes = SequenceSplitter.Write(rq.Write);
        Assert.Equal(PduHeader.Size + BitConverterBE(bytes, 2), bytes.Length);
        SequenceSplitter.AssertEverySplit<AssociateRequestPdu>(bytes, AssociateRequestPdu.TryRead, p =>
        {
            Assert.Equal("ARCHIVE", p.CalledAeTitle);
            Assert.Equal("MODALITY", p.CallingAeTitle);
            Assert.Equal(AssociateRequestPdu.DicomApplicationContextName, p.ApplicationContextName);
            Assert.Equal(2, p.PresentationContexts.Count);
            Assert.Equal(3, p.PresentationContexts[1].Id);
            Assert.Equal(["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"], p.PresentationContexts[1].TransferSyntaxes);
            var ui = p.UserInformation;
            Assert.Equal(16384u, ui.MaximumLength);
            Assert.Equal("1.2.3.4.5", ui.ImplementationClassUid);
            Assert.Equal("PACS_1", ui.ImplementationVersionName);
            Assert.Equal(new AsynchronousOperationsWindow(2, 3), ui.AsynchronousOperationsWindow);
            Assert.Equal(new RoleSelection("1.2.840.10008.5.1.4.1.1.2", false, true), Assert.Single(ui.RoleSelections));
            Assert.Equal(new byte[] { 1, 1 }, Assert.Single(ui.ExtendedNegotiations).ServiceClassApplicationInformation.ToArray());
            var common = Assert.Single(ui.CommonExtendedNegotiations);
            Assert.Equal("1.2.840.10008.4.2", common.ServiceClassUid);
            Assert.Equal(["1.2.3", "1.2.4"], common.RelatedGeneralSopClassUids);
            Assert.Equal(UserIdentityType.UsernameAndPasscode, ui.UserIdentityRequest!.Type);
            Assert.True(ui.UserIdentityRequest.PositiveResponseRequested);
            Assert.Equal("alice", ui.UserIdentityRequest.PrimaryText);
            Assert.Equal("s3cret", ui.UserIdentityRequest.SecondaryText);
        });
    }

    [Theory]
    [InlineData(UserIdentityType.Username)]
    [InlineData(UserIdentityType.Kerberos)]
    [InlineData(UserIdentityType.Saml)]
    [InlineData(UserIdentityType.Jwt)]
    public void AssociateRequest_UserIdentityTypes_RoundTrip(UserIdentityType type)
    {
        var token = Encoding.UTF8.GetBytes("token-for-" + type);
        var rq = FullRequest() with { UserInformation = new UserInformation { MaximumLength = 0, ImplementationClassUid = "1.2", UserIdentityRequest = new UserIdentityRequest(type, false, token, default) } };
        var bytes = SequenceSplitter.Write(rq.Write);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.True(AssociateRequestPdu.TryRead(ref reader, out var p));
        Assert.Equal(type, p.UserInformation.UserIdentityRequest!.Type);
        Assert.Equal(token, p.UserInformation.UserIdentityRequest.PrimaryField.ToArray());
        Assert.Equal(0, p.UserInformation.UserIdentityRequest.SecondaryField.Length);
    }

    [Fact]
    public void AssociateAccept_EverySplit_RoundTrips()
    {
        var ac = new AssociateAcceptPdu("ARCHIVE", "MODALITY",
            [
                new PresentationContextResult(1, PresentationContextResultReason.Acceptance, "1.2.840.10008.1.2"),
                new PresentationContextResult(3, PresentationContextResultReason.AbstractSyntaxNotSupported, "1.2.840.10008.1.2"),
            ],
            new UserInformation
            {
                MaximumLength = 65536,
                ImplementationClassUid = "1.2.3.4.5",
                ImplementationVersionName = "PACS_1",
                RoleSelections = [new RoleSelection("1.2.840.10008.5.1.4.1.1.2", false, true)],
                UserIdentityResponse = new UserIdentityResponse(new byte[] { 9, 8, 7 }),
            });
        var bytes = SequenceSplitter.Write(ac.Write);
        SequenceSplitter.AssertEverySplit<AssociateAcceptPdu>(bytes, AssociateAcceptPdu.TryRead, p =>
        {
            Assert.Equal("ARCHIVE", p.CalledAeTitle);
            Assert.Equal(2, p.PresentationContexts.Count);
            Assert.Equal(ac.PresentationContexts[0], p.PresentationContexts[0]);
            Assert.Equal(ac.PresentationContexts[1], p.PresentationContexts[1]);
            Assert.Equal(65536u, p.UserInformation.MaximumLength);
            Assert.Equal(new byte[] { 9, 8, 7 }, p.UserInformation.UserIdentityResponse!.ServerResponse.ToArray());
        });
    }

    [Fact]
    public void AssociateReject_EverySplit_RoundTrips()
    {
        var rj = new AssociateRejectPdu(AssociateRejectResult.Transient, AssociateRejectSource.ServiceProviderPresentation, AssociateRejectReason.LocalLimitExceeded);
        var bytes = SequenceSplitter.Write(rj.Write);
        Assert.Equal(new byte[] { 3, 0, 0, 0, 0, 4, 0, 2, 3, 2 }, bytes);
        SequenceSplitter.AssertEverySplit<AssociateRejectPdu>(bytes, AssociateRejectPdu.TryRead, p => Assert.Equal(rj, p));
    }

    [Fact]
    public void ReleaseAndAbort_EverySplit_RoundTrip()
    {
        var rq = SequenceSplitter.Write(new ReleaseRequestPdu().Write);
        Assert.Equal(new byte[] { 5, 0, 0, 0, 0, 4, 0, 0, 0, 0 }, rq);
        SequenceSplitter.AssertEverySplit<ReleaseRequestPdu>(rq, ReleaseRequestPdu.TryRead, _ => { });
        var rp = SequenceSplitter.Write(new ReleaseResponsePdu().Write);
        Assert.Equal(6, rp[0]);
        SequenceSplitter.AssertEverySplit<ReleaseResponsePdu>(rp, ReleaseResponsePdu.TryRead, _ => { });
        var abort = new AbortPdu(AbortSource.ServiceProvider, AbortReason.InvalidPduParameterValue);
        var ab = SequenceSplitter.Write(abort.Write);
        Assert.Equal(new byte[] { 7, 0, 0, 0, 0, 4, 0, 0, 2, 6 }, ab);
        SequenceSplitter.AssertEverySplit<AbortPdu>(ab, AbortPdu.TryRead, p => Assert.Equal(abort, p));
    }

    [Fact]
    public void PDataTf_EverySplit_RoundTripsValuesAndControlHeaders()
    {
        var pdu = new PDataTfPdu(
        [
            new PresentationDataValue(1, PresentationDataValue.ControlHeader(command: true, last: true), new ReadOnlySequence<byte>(new byte[] { 1, 2, 3, 4 })),
            new PresentationDataValue(1, PresentationDataValue.ControlHeader(command: false, last: false), new ReadOnlySequence<byte>(new byte[] { 5, 6 })),
        ]);
        var bytes = SequenceSplitter.Write(pdu.Write);
        SequenceSplitter.AssertEverySplit<PDataTfPdu>(bytes, PDataTfPdu.TryRead, p =>
        {
            Assert.Equal(2, p.Values.Count);
            Assert.True(p.Values[0].IsCommand);
            Assert.True(p.Values[0].IsLastFragment);
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, p.Values[0].Data.ToArray());
            Assert.False(p.Values[1].IsCommand);
            Assert.False(p.Values[1].IsLastFragment);
            Assert.Equal(new byte[] { 5, 6 }, p.Values[1].Data.ToArray());
        });
    }

    [Fact]
    public void PDataTf_CommandAndData_OnePduWithACommandPdvThenADataPdv()
    {
        var bytes = SequenceSplitter.Write(w => PDataTfPdu.WriteCommandAndData(w, 3, new byte[] { 1, 2, 3 }, new byte[] { 4, 5, 6, 7, 8 }));

        // PDU length: two PDV items of 4 (item length) + 1 (context) + 1 (control header) + their data (PS3.8 9.3.5).
        Assert.Equal(PduHeader.Size + 2 * PDataTfPdu.PdvHeaderSize + 8, bytes.Length);
        SequenceSplitter.AssertEverySplit<PDataTfPdu>(bytes, PDataTfPdu.TryRead, p =>
        {
            Assert.Equal(2, p.Values.Count);
            Assert.All(p.Values, v => Assert.Equal(3, v.PresentationContextId));
            Assert.True(p.Values[0].IsCommand);
            Assert.True(p.Values[0].IsLastFragment);
            Assert.Equal(new byte[] { 1, 2, 3 }, p.Values[0].Data.ToArray());
            Assert.False(p.Values[1].IsCommand);
            Assert.True(p.Values[1].IsLastFragment);
            Assert.Equal(new byte[] { 4, 5, 6, 7, 8 }, p.Values[1].Data.ToArray());
        });
    }

    [Fact]
    public void PduHeader_LengthBeyondLimit_ThrowsBeforeBodyArrives()
    {
        // Only the 6-byte header of a P-DATA-TF announcing 4 GiB - 1: refused at once, nothing waited for.
        var header = new byte[] { 4, 0, 0xFF, 0xFF, 0xFF, 0xFF };
        var ex = Assert.Throws<DicomFormatException>(() =>
        {
            var r = new SequenceReader<byte>(new ReadOnlySequence<byte>(header));
            PDataTfPdu.TryRead(ref r, out _);
        });
        Assert.Contains("exceeds", ex.Reason);
        var assoc = new byte[] { 1, 0, 0, 1, 0, 1 }; // 65537 > 64 KiB
        Assert.Throws<DicomFormatException>(() =>
        {
            var r = new SequenceReader<byte>(new ReadOnlySequence<byte>(assoc));
            AssociateRequestPdu.TryRead(ref r, out _);
        });
    }

    [Fact]
    public void AssociateRequest_UnknownItems_AreSkipped()
    {
        var rq = FullRequest() with { PresentationContexts = [new PresentationContextProposal(1, "1.2.840.10008.1.1", ["1.2.840.10008.1.2"])] };
        var bytes = SequenceSplitter.Write(rq.Write).ToList();
        // Append an unknown item (type 0x7E, 3 bytes) after the user information and patch the PDU length.
        bytes.AddRange(new byte[] { 0x7E, 0, 0, 3, 1, 2, 3 });
        var length = (uint)(bytes.Count - 6);
        bytes[2] = (byte)(length >> 24); bytes[3] = (byte)(length >> 16); bytes[4] = (byte)(length >> 8); bytes[5] = (byte)length;
        var r = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes.ToArray()));
        Assert.True(AssociateRequestPdu.TryRead(ref r, out var p));
        Assert.Single(p.PresentationContexts);
        Assert.Equal("1.2.3.4.5", p.UserInformation.ImplementationClassUid);
    }

    [Fact]
    public void AssociateRequest_ItemLengthPastPdu_Throws()
    {
        var bytes = SequenceSplitter.Write(FullRequest().Write);
        // The application context item starts right after the 68 fixed bytes; give it an absurd length.
        bytes[6 + 68 + 2] = 0xFF;
        bytes[6 + 68 + 3] = 0xFF;
        Assert.Throws<DicomFormatException>(() =>
        {
            var r = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            AssociateRequestPdu.TryRead(ref r, out _);
        });
    }

    [Fact]
    public void PDataTf_PdvLengthPastPdu_Throws()
    {
        var bytes = SequenceSplitter.Write(w => PDataTfPdu.WriteSingle(w, 1, true, true, new byte[] { 1, 2 }));
        bytes[9] = 0x40; // PDV item length 64 > PDU body
        Assert.Throws<DicomFormatException>(() =>
        {
            var r = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            PDataTfPdu.TryRead(ref r, out _);
        });
    }

    private static int BitConverterBE(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}
