using Pacs.Dicom.IO;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Dicom.Network;

/// <summary>The services an association answers; a missing one answers its requests with a failure status.</summary>
public sealed record DicomServiceProviders
{
    public ICEchoProvider? Echo { get; init; }
    public ICStoreProvider? Store { get; init; }
    public ICFindProvider? Find { get; init; }
    public ICMoveProvider? Move { get; init; }
    public ICGetProvider? Get { get; init; }

    /// <summary>C-ECHO always succeeds: the default verification SCP.</summary>
    public static ICEchoProvider AlwaysSuccessEcho { get; } = new SuccessEcho();

    private sealed class SuccessEcho : ICEchoProvider
    {
        public ValueTask<DimseStatus> OnCEchoAsync(CEchoRequest request, AssociationInfo association, CancellationToken cancellationToken) =>
            ValueTask.FromResult(DimseStatus.Success);
    }
}
