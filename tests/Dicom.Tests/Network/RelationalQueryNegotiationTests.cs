using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Pdus;
using Xunit;
using static Pacs.Dicom.Tests.Network.NetworkTestKit;

namespace Pacs.Dicom.Tests.Network;

/// <summary>SOP class extended negotiation of relational queries (PS3.4 C.5.1.1.1) between our requestor and acceptor.</summary>
public sealed class RelationalQueryNegotiationTests
{
    [Theory]
    [InlineData(true, (byte)1, true)]
    [InlineData(true, (byte)0, false)]
    [InlineData(false, (byte)1, false)]
    public async Task ExtendedNegotiation_RelationalQueries_AgreedOnlyWhenAskedAndOffered(bool offered, byte asked, bool agreed)
    {
        var policy = new DefaultAssociationPolicy
        {
            AbstractSyntaxes = new Dictionary<string, IReadOnlyList<string>> { [StudyRootFind] = DefaultAssociationPolicy.UncompressedPreference },
            RelationalQuerySopClasses = offered ? new HashSet<string> { StudyRootFind } : new HashSet<string>(),
        };
        var find = new FixedFindProvider([FixedFindProvider.Study("A", "1.1")]);
        await using var server = StartServer(new DicomServiceProviders { Find = find }, policy: policy);
        await using var client = await DicomClient.ConnectAsync(new DicomClientOptions
        {
            Port = server.Port,
            CalledAeTitle = "ARCHIVE",
            PresentationContexts = [new PresentationContextRequest(StudyRootFind, DicomClientOptions.NativeTransferSyntaxes)],
            ExtendedNegotiations = [new SopClassExtendedNegotiation(StudyRootFind, new byte[] { asked, 0, 0 })],
        });
        Assert.Equal(agreed, client.Association.RelationalQueriesAgreed(StudyRootFind));
        await client.ReleaseAsync();
    }
}
