using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>A presentation context to propose: one abstract syntax, its transfer syntaxes, and the roles (PS3.7 D.3.3.4).</summary>
public sealed record PresentationContextRequest(string AbstractSyntax, IReadOnlyList<string> TransferSyntaxes, bool ProposeScpRole = false);

public sealed record DicomClientOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 104;
    public string CalledAeTitle { get; init; } = "ANY-SCP";
    public string CallingAeTitle { get; init; } = "PACS-SCU";
    public IReadOnlyList<PresentationContextRequest> PresentationContexts { get; init; } = [];
    public UserIdentityRequest? UserIdentity { get; init; }

    /// <summary>SOP class extended negotiation sub-items to send (56h, PS3.7 D.3.3.5), e.g. relational queries.</summary>
    public IReadOnlyList<SopClassExtendedNegotiation> ExtendedNegotiations { get; init; } = [];
    public DicomAssociationOptions Association { get; init; } = new();

    /// <summary>Storage SCP used for C-GET sub-operations arriving on this association.</summary>
    public ICStoreProvider? StoreProvider { get; init; }

    /// <summary>Verification and the native transfer syntaxes, as most SCUs propose them.</summary>
    public static IReadOnlyList<string> NativeTransferSyntaxes { get; } =
        [DicomTransferSyntax.ExplicitVRLittleEndian.Uid, DicomTransferSyntax.ImplicitVRLittleEndian.Uid];
}

/// <summary>
/// The SCU (association requestor): connect and negotiate, then C-ECHO, C-STORE, C-FIND, C-MOVE and C-GET (acting
/// as storage SCP on the same association), then release or abort.
/// </summary>
public sealed class DicomClient : IAsyncDisposable
{
    private readonly DicomAssociation _association;

    private DicomClient(DicomAssociation association) => _association = association;

    public AssociationInfo Association => _association.Info;

    /// <summary>Completes when the association's transport is closed.</summary>
    public Task Closed => _association.Closed;

    public static async Task<DicomClient> ConnectAsync(DicomClientOptions options, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(options.Association.ArtimTimeout);
            await socket.ConnectAsync(options.Host, options.Port, connectTimeout.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return await ConnectAsync(SocketTransport.Create(socket), socket.RemoteEndPoint, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Negotiates over an existing transport (a socket, a TLS stream, an in-memory pipe).</summary>
    public static async Task<DicomClient> ConnectAsync(IDuplexPipe transport, System.Net.EndPoint? remote, DicomClientOptions options, CancellationToken cancellationToken = default)
    {
        var proposals = new List<PresentationContextProposal>();
        var roles = new List<RoleSelection>();
        byte id = 1;
        foreach (var pc in options.PresentationContexts)
        {
            proposals.Add(new PresentationContextProposal(id, pc.AbstractSyntax, pc.TransferSyntaxes));
            if (pc.ProposeScpRole && roles.All(r => r.SopClassUid != pc.AbstractSyntax))
            {
                roles.Add(new RoleSelection(pc.AbstractSyntax, true, true));
            }

            id += 2; // PS3.8 9.3.2.2: presentation context IDs are odd
            if (id == 1)
            {
                throw new ArgumentException("more than 128 presentation contexts proposed", nameof(options));
            }
        }
        var request = new AssociateRequestPdu(options.CalledAeTitle, options.CallingAeTitle, proposals, new UserInformation
        {
            MaximumLength = options.Association.MaxReceivePduLength,
            ImplementationClassUid = options.Association.ImplementationClassUid,
            ImplementationVersionName = options.Association.ImplementationVersionName,
            RoleSelections = roles,
            UserIdentityRequest = options.UserIdentity,
            ExtendedNegotiations = options.ExtendedNegotiations,
        });
        var providers = new DicomServiceProviders { Store = options.StoreProvider };
        var association = await DicomAssociation.RequestAsync(transport, remote, request, options.Association, providers, cancellationToken).ConfigureAwait(false);
        return new DicomClient(association);
    }

    public async Task<DimseStatus> EchoAsync(CancellationToken cancellationToken = default)
    {
        var pc = RequireContext(CEchoRequest.VerificationSopClassUid);
        var messageId = _association.NextMessageId();
        using var registration = _association.ExpectResponses(messageId);
        await _association.SendAsync(pc.Id, new CEchoRequest(messageId), null, cancellationToken).ConfigureAwait(false);
        return (await registration.NextAsync(cancellationToken).ConfigureAwait(false)).Status;
    }

    /// <summary>
    /// C-STORE of one instance, its data set streamed from storage when a presentation context accepted the
    /// instance's own transfer syntax. Otherwise a native (uncompressed) instance is converted to a native syntax
    /// the peer accepted (Implicit/Explicit VR LE, Explicit VR BE), PS3.5 A.1-A.3, and a compressed instance whose codec
    /// is here is decoded to a native little-endian syntax the peer accepted; conversion holds that one instance in
    /// memory. Compressed data is never re-encoded: no usable context throws.
    /// </summary>
    public async Task<DimseStatus> StoreAsync(InstanceToSend instance, string? moveOriginatorAeTitle = null, ushort? moveOriginatorMessageId = null, CancellationToken cancellationToken = default)
    {
        var (pc, toSend) = DimseServices.ChooseStoreContext(_association, instance, requireScpRole: false)
            ?? throw new InvalidOperationException($"no accepted presentation context for {instance.SopClassUid} in {instance.TransferSyntax.Name}");
        return await DimseServices.StoreSubOperationAsync(_association, pc, toSend, moveOriginatorAeTitle, moveOriginatorMessageId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>C-STORE of a Part 10 file: its meta header gives SOP class, instance and transfer syntax.</summary>
    public async Task<DimseStatus> StoreFileAsync(string path, CancellationToken cancellationToken = default) =>
        await StoreAsync(await InstanceToSend.FromFileAsync(path, cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// C-FIND: yields each match as its pending response arrives. Stopping the enumeration or cancelling the token
    /// sends C-CANCEL (PS3.7 9.3.2.3) and waits for the final response. A failure status throws <see cref="DimseStatusException"/>.
    /// </summary>
    public async IAsyncEnumerable<DicomDataset> FindAsync(string sopClassUid, DicomDataset identifier, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var pc = RequireContext(sopClassUid);
        var messageId = _association.NextMessageId();
        using var registration = _association.ExpectResponses(messageId);
        await _association.SendAsync(pc.Id, new CFindRequest(messageId, sopClassUid, identifier), identifier, cancellationToken).ConfigureAwait(false);
        var finished = false;
        try
        {
            while (true)
            {
                var response = (CFindResponse)await registration.NextAsync(cancellationToken).ConfigureAwait(false);
                if (response.Status.IsPending)
                {
                    if (response.Identifier is { } match)
                    {
                        yield return match;
                    }

                    continue;
                }
                finished = true;
                if (response.Status.Category is DimseStatusCategory.Failure)
                {
                    throw new DimseStatusException(response.Status);
                }

                yield break;
            }
        }
        finally
        {
            if (!finished)
            {
                await CancelAndDrainAsync(pc.Id, messageId, registration).ConfigureAwait(false);
            }
        }
    }

    /// <summary>C-MOVE: the SCP sends the matches to <paramref name="destinationAeTitle"/>; returns the final response.</summary>
    public Task<CMoveResponse> MoveAsync(string sopClassUid, string destinationAeTitle, DicomDataset identifier, IProgress<CMoveResponse>? progress = null, CancellationToken cancellationToken = default) =>
        RetrieveAsync<CMoveResponse>(sopClassUid, id => new CMoveRequest(id, sopClassUid, destinationAeTitle, identifier), identifier, progress, cancellationToken);

    /// <summary>C-GET: the SCP sends the matches on this association to the <see cref="DicomClientOptions.StoreProvider"/>.</summary>
    public Task<CGetResponse> GetAsync(string sopClassUid, DicomDataset identifier, IProgress<CGetResponse>? progress = null, CancellationToken cancellationToken = default) =>
        RetrieveAsync<CGetResponse>(sopClassUid, id => new CGetRequest(id, sopClassUid, identifier), identifier, progress, cancellationToken);

    private async Task<T> RetrieveAsync<T>(string sopClassUid, Func<ushort, IDimseRequest> create, DicomDataset identifier, IProgress<T>? progress, CancellationToken cancellationToken)
        where T : class, IDimseResponse
    {
        var pc = RequireContext(sopClassUid);
        var messageId = _association.NextMessageId();
        using var registration = _association.ExpectResponses(messageId);
        await _association.SendAsync(pc.Id, create(messageId), identifier, cancellationToken).ConfigureAwait(false);
        var cancelSent = false;
        while (true)
        {
            IDimseResponse response;
            try
            {
                // Sub-operations may take long: each pending response restarts the DIMSE timeout.
                response = await registration.NextAsync(cancelSent ? CancellationToken.None : cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !cancelSent)
            {
                cancelSent = true;
                await _association.SendAsync(pc.Id, new CCancelRequest(messageId), null, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            if (response.Status.IsPending)
            {
                progress?.Report((T)response);
                continue;
            }
            return (T)response;
        }
    }

    private async Task CancelAndDrainAsync(byte contextId, ushort messageId, DicomAssociation.ResponseRegistration registration)
    {
        if (_association.Closed.IsCompleted)
        {
            return;
        }

        try
        {
            await _association.SendAsync(contextId, new CCancelRequest(messageId), null, CancellationToken.None).ConfigureAwait(false);
            while ((await registration.NextAsync(CancellationToken.None).ConfigureAwait(false)).Status.IsPending) { }
        }
        catch (DicomAssociationAbortedException)
        {
            // The association ended meanwhile: nothing left to cancel.
        }
    }

    private NegotiatedPresentationContext RequireContext(string abstractSyntax) =>
        _association.FindContext(c => c.AbstractSyntax == abstractSyntax)
        ?? throw new InvalidOperationException($"no accepted presentation context for {abstractSyntax}");

    public Task ReleaseAsync(CancellationToken cancellationToken = default) => _association.ReleaseAsync(cancellationToken);

    public Task AbortAsync() => _association.AbortAsync(AbortSource.ServiceUser, AbortReason.NotSpecified, "aborted by the application");

    public ValueTask DisposeAsync() => _association.DisposeAsync();
}
