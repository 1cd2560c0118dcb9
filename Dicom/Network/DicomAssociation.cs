using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Pacs.Dicom.IO;
using Pacs.Dicom.Network.Dimse;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>
/// One DICOM association over any <see cref="IDuplexPipe"/>, either role (PS3.8 9.2 state machine, reduced to the
/// states a single-threaded async read loop needs). A single read loop per association, no thread: incoming
/// requests go to the <see cref="DicomServiceProviders"/>, incoming responses to the operation awaiting them by
/// message ID, so both the acceptor and the requestor (C-GET as storage SCP) run on the same code.
/// </summary>
internal sealed class DicomAssociation : IAsyncDisposable
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly DicomAssociationOptions _options;
    private readonly DicomServiceProviders _providers;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ConcurrentDictionary<ushort, Channel<IDimseResponse>> _pending = new();
    private readonly ConcurrentDictionary<ushort, (CancellationTokenSource Cancel, Task Task)> _operations = new();
    private readonly TaskCompletionSource _releaseResponse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Dictionary<byte, NegotiatedPresentationContext> _contexts = [];
    private int _nextMessageId;
    private int _transportClosed;
    // Bytes written to the transport since its last flush; read and written under the write lock only.
    private long _unflushed;
    private bool _releaseRequested;
    private bool _anyPdv;
    private Exception? _terminalError;

    // Incoming message assembly (PS3.8 E.2: fragments of one message are not interleaved with another's).
    private readonly ArrayBufferWriter<byte> _commandBytes = new(512);
    private DicomDataset? _command;
    private byte _messageContextId;
    private ArrayBufferWriter<byte>? _dataBytes;

    // Outgoing data sets are encoded here, under the write lock (WriteMessageAsync).
    private const int InitialDataSetBuffer = 1024;
    private const int MaxKeptDataSetBuffer = 256 * 1024;
    private ArrayBufferWriter<byte> _dataSetBuffer = new(InitialDataSetBuffer);
    private IncomingStore? _store;

    private sealed record IncomingStore(Pipe Pipe, Task<DimseStatus> Provider, CStoreRequest Request);

    private DicomAssociation(IDuplexPipe transport, DicomAssociationOptions options, DicomServiceProviders providers, EndPoint? remote)
    {
        _input = transport.Input;
        _output = transport.Output;
        _options = options;
        _providers = providers;
        RemoteEndPoint = remote;
        Info = new AssociationInfo("", "", remote, null, [], 0, null, null);
    }

    public AssociationInfo Info { get; private set; }
    public EndPoint? RemoteEndPoint { get; }
    public DicomAssociationOptions Options => _options;

    /// <summary>Completes when the transport is closed, for whatever reason.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Why the association ended abnormally, if it did.</summary>
    public Exception? TerminalError => _terminalError;

    // ---------------------------------------------------------------- acceptor

    /// <summary>
    /// Runs an acceptor association to its end: waits (ARTIM) for the A-ASSOCIATE-RQ, asks the policy, answers AC or
    /// RJ, then serves DIMSE until release, abort, timeout or transport close. Never throws for protocol errors.
    /// </summary>
    public static async Task RunAcceptorAsync(IDuplexPipe transport, EndPoint? remote, DicomAssociationOptions options,
        IAssociationPolicy policy, DicomServiceProviders providers, Action<DicomAssociationHandle>? onEstablished,
        Func<AssociateRequestPdu, AssociateRejectPdu?>? admit, CancellationToken cancellationToken)
    {
        var association = new DicomAssociation(transport, options, providers, remote) { _onEstablished = onEstablished, _admit = admit };
        await using (association.ConfigureAwait(false))
        {
            using var link = cancellationToken.Register(static s => ((DicomAssociation)s!)._lifetime.Cancel(), association);
            await association.AcceptAsync(policy).ConfigureAwait(false);
        }
    }

    private Action<DicomAssociationHandle>? _onEstablished;
    private Func<AssociateRequestPdu, AssociateRejectPdu?>? _admit;

    /// <summary>Reads the A-ASSOCIATE-RQ only to refuse it (for the server's concurrency bound), then closes.</summary>
    public static async Task RejectAsync(IDuplexPipe transport, DicomAssociationOptions options, AssociateRejectPdu reject, CancellationToken cancellationToken)
    {
        var association = new DicomAssociation(transport, options, new DicomServiceProviders(), null);
        await using (association.ConfigureAwait(false))
        {
            using var link = cancellationToken.Register(static s => ((DicomAssociation)s!)._lifetime.Cancel(), association);
            try
            {
                var first = await association.ReadFirstPduAsync(options.ArtimTimeout).ConfigureAwait(false);
                if (first.Type == PduType.AssociateRequest)
                {
                    await association.WritePduAsync(reject.Write, association._lifetime.Token).ConfigureAwait(false);
                    await association.WaitForPeerCloseAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                association._terminalError = ex;
            }
        }
    }

    private async Task AcceptAsync(IAssociationPolicy policy)
    {
        try
        {
            var first = await ReadFirstPduAsync(_options.ArtimTimeout).ConfigureAwait(false);
            if (first.Type != PduType.AssociateRequest)
            {
                await AbortAsync(AbortSource.ServiceProvider, AbortReason.UnexpectedPdu, "first PDU is not A-ASSOCIATE-RQ").ConfigureAwait(false);
                return;
            }
            var request = first.Request!;
            // PS3.8 9.3.2: bit 0 of the protocol version must be set.
            if ((request.ProtocolVersion & 1) == 0)
            {
                await RejectAndCloseAsync(new(AssociateRejectResult.Permanent, AssociateRejectSource.ServiceProviderAcse, AssociateRejectReason.ProtocolVersionNotSupported)).ConfigureAwait(false);
                return;
            }
            if (request.ApplicationContextName != AssociateRequestPdu.DicomApplicationContextName)
            {
                await RejectAndCloseAsync(new(AssociateRejectResult.Permanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.ApplicationContextNameNotSupported)).ConfigureAwait(false);
                return;
            }
            var decision = await policy.DecideAsync(request, RemoteEndPoint, _lifetime.Token).ConfigureAwait(false);
            if ((decision.Reject ?? _admit?.Invoke(request)) is { } reject)
            {
                await RejectAndCloseAsync(reject).ConfigureAwait(false);
                return;
            }
            var accept = new AssociateAcceptPdu(request.CalledAeTitle, request.CallingAeTitle, decision.Results,
                new UserInformation
                {
                    MaximumLength = _options.MaxReceivePduLength,
                    ImplementationClassUid = _options.ImplementationClassUid,
                    ImplementationVersionName = _options.ImplementationVersionName,
                    // We perform one operation at a time per association (PS3.7 D.3.3.3 default).
                    RoleSelections = decision.Roles,
                    UserIdentityResponse = decision.UserIdentityResponse,
                    ExtendedNegotiations = decision.ExtendedNegotiations,
                });
            Establish(request, accept, decision.User);
            await WritePduAsync(accept.Write, _lifetime.Token).ConfigureAwait(false);
            _onEstablished?.Invoke(new DicomAssociationHandle(this));
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await FailAsync(ex).ConfigureAwait(false);
        }
    }

    private async Task RejectAndCloseAsync(AssociateRejectPdu reject)
    {
        DimseTelemetry.CountRejected(reject);
        await WritePduAsync(reject.Write, _lifetime.Token).ConfigureAwait(false);
        // PS3.8 9.2 AE-8: after A-ASSOCIATE-RJ, start ARTIM and wait for the requestor to close.
        await WaitForPeerCloseAsync().ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- requestor

    /// <summary>Sends the A-ASSOCIATE-RQ and waits (ARTIM) for AC, RJ or abort; on AC starts the read loop.</summary>
    public static async Task<DicomAssociation> RequestAsync(IDuplexPipe transport, EndPoint? remote, AssociateRequestPdu request,
        DicomAssociationOptions options, DicomServiceProviders providers, CancellationToken cancellationToken)
    {
        var association = new DicomAssociation(transport, options, providers, remote) { _isRequestor = true };
        try
        {
            await association.WritePduAsync(request.Write, cancellationToken).ConfigureAwait(false);
            var first = await association.ReadFirstPduAsync(options.ArtimTimeout).ConfigureAwait(false);
            switch (first.Type)
            {
                case PduType.AssociateAccept:
                    association.Establish(request, first.Accept!);
                    _ = association.RunReadLoopAsync();
                    return association;
                case PduType.AssociateReject:
                    throw new DicomAssociationRejectedException(first.Reject);
                case PduType.Abort:
                    throw new DicomAssociationAbortedException("peer aborted during negotiation", first.Abort);
                default:
                    await association.AbortAsync(AbortSource.ServiceProvider, AbortReason.UnexpectedPdu, "unexpected PDU during negotiation").ConfigureAwait(false);
                    throw new DicomAssociationAbortedException($"unexpected {first.Type} during negotiation");
            }
        }
        catch
        {
            await association.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task RunReadLoopAsync()
    {
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await FailAsync(ex).ConfigureAwait(false);
        }
    }

    private void Establish(AssociateRequestPdu request, AssociateAcceptPdu accept, System.Security.Claims.ClaimsPrincipal? user = null)
    {
        var contexts = new Dictionary<byte, NegotiatedPresentationContext>();
        foreach (var proposal in request.PresentationContexts)
        {
            var result = accept.PresentationContexts.FirstOrDefault(r => r.Id == proposal.Id);
            if (result is null)
            {
                continue;
            }
            // PS3.7 D.3.3.4: without a role selection the requestor is SCU only; the acceptor's answer decides.
            var proposedRole = request.UserInformation.RoleSelections.FirstOrDefault(r => r.SopClassUid == proposal.AbstractSyntax);
            var acceptedRole = accept.UserInformation.RoleSelections.FirstOrDefault(r => r.SopClassUid == proposal.AbstractSyntax);
            var isScu = proposedRole.SopClassUid is null || acceptedRole.SopClassUid is null || (proposedRole.ScuRole && acceptedRole.ScuRole);
            var isScp = proposedRole.SopClassUid is not null && acceptedRole.SopClassUid is not null && proposedRole.ScpRole && acceptedRole.ScpRole;
            contexts[proposal.Id] = new NegotiatedPresentationContext(proposal.Id, proposal.AbstractSyntax, result.Result,
                result.IsAccepted ? DicomTransferSyntax.Resolve(result.TransferSyntax) : null, isScu, isScp);
        }
        _contexts = contexts;
        Info = new AssociationInfo(request.CalledAeTitle, request.CallingAeTitle, RemoteEndPoint,
            request.UserInformation.UserIdentityRequest, contexts.Values.OrderBy(c => c.Id).ToList(),
            _isRequestor ? accept.UserInformation.MaximumLength : request.UserInformation.MaximumLength,
            _isRequestor ? accept.UserInformation.ImplementationClassUid : request.UserInformation.ImplementationClassUid,
            _isRequestor ? accept.UserInformation.ImplementationVersionName : request.UserInformation.ImplementationVersionName)
        {
            // What the acceptor answered is what was agreed, for either role (PS3.7 D.3.3.5).
            ExtendedNegotiations = accept.UserInformation.ExtendedNegotiations,
            User = user,
        };
    }

    private bool _isRequestor;

    // ---------------------------------------------------------------- reading

    private readonly record struct FirstPdu(PduType Type, AssociateRequestPdu? Request, AssociateAcceptPdu? Accept, AssociateRejectPdu Reject, AbortPdu Abort);

    private async Task<FirstPdu> ReadFirstPduAsync(TimeSpan artim)
    {
        while (true)
        {
            var result = await ReadWithTimeoutAsync(artim, "ARTIM expired waiting for association negotiation").ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryParseNegotiation(buffer, _options.Limits, out var first, out var consumed))
            {
                _input.AdvanceTo(consumed);
                return first;
            }
            if (result.IsCompleted)
            {
                throw new DicomAssociationAbortedException("transport closed during association negotiation");
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool TryParseNegotiation(ReadOnlySequence<byte> buffer, PduLimits limits, out FirstPdu first, out SequencePosition consumed)
    {
        first = default;
        consumed = buffer.Start;
        var reader = new SequenceReader<byte>(buffer);
        if (!PduHeader.TryPeek(reader, limits, out var header))
        {
            return false;
        }

        if (reader.Remaining < PduHeader.Size + header.Length)
        {
            return false;
        }

        switch (header.Type)
        {
            case PduType.AssociateRequest:
                AssociateRequestPdu.TryRead(ref reader, limits, out var rq);
                first = new FirstPdu(header.Type, rq, null, default, default);
                break;
            case PduType.AssociateAccept:
                AssociateAcceptPdu.TryRead(ref reader, limits, out var ac);
                first = new FirstPdu(header.Type, null, ac, default, default);
                break;
            case PduType.AssociateReject:
                AssociateRejectPdu.TryRead(ref reader, out var rj);
                first = new FirstPdu(header.Type, null, null, rj, default);
                break;
            case PduType.Abort:
                AbortPdu.TryRead(ref reader, out var ab);
                first = new FirstPdu(header.Type, null, null, default, ab);
                break;
            default:
                reader.Advance(PduHeader.Size + header.Length);
                first = new FirstPdu(header.Type, null, null, default, default);
                break;
        }
        consumed = reader.Position;
        return true;
    }

    private async ValueTask<ReadResult> ReadWithTimeoutAsync(TimeSpan timeout, string what)
    {
        var token = _lifetime.Token;
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return await _input.ReadAsync(token).ConfigureAwait(false);
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
        cts.CancelAfter(timeout);
        try
        {
            return await _input.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            throw new TimeoutException(what);
        }
    }

    private enum LoopEnd { PeerClosed, Released, Aborted }

    private async Task ReadLoopAsync()
    {
        var end = LoopEnd.PeerClosed;
        long buffered = 0;
        while (true)
        {
            var midMessage = _command is not null || _commandBytes.WrittenCount > 0 || buffered > 0;
            // A peer stalling mid-PDU or mid-message meets the DIMSE timeout. While an operation runs or a response
            // is awaited, whoever waits times itself (DIMSE timeout per response, ARTIM for release). Otherwise an
            // acceptor applies the idle timeout; a requestor decides itself when its association has idled enough.
            TimeSpan timeout;
            string what;
            if (midMessage)
            {
                (timeout, what) = (_options.DimseTimeout, "DIMSE timeout: peer stalled mid-message");
            }
            else if (!_operations.IsEmpty || !_pending.IsEmpty || _releaseRequested)
            {
                (timeout, what) = (Timeout.InfiniteTimeSpan, "");
            }
            else if (_isRequestor)
            {
                (timeout, what) = (Timeout.InfiniteTimeSpan, "");
            }
            else if (!_anyPdv)
            {
                (timeout, what) = (Min(_options.FirstRequestTimeout, _options.IdleTimeout), "idle timeout: no request since the association was established");
            }
            else
            {
                (timeout, what) = (_options.IdleTimeout, "idle timeout");
            }

            var result = await ReadWithTimeoutAsync(timeout, what).ConfigureAwait(false);
            var buffer = result.Buffer;
            var stop = false;
            while (!stop && TryGetPdu(buffer, out var type, out var pdu))
            {
                if (await HandlePduAsync(type, pdu).ConfigureAwait(false) is { } e)
                {
                    end = e;
                    stop = true;
                }
                buffer = buffer.Slice(pdu.End);
            }
            if (stop)
            {
                _input.AdvanceTo(buffer.Start);
                break;
            }
            if (result.IsCompleted)
            {
                _input.AdvanceTo(buffer.End);
                throw new DicomAssociationAbortedException(buffer.Length > 0 ? "transport closed mid-PDU" : "transport closed without release");
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
            buffered = buffer.Length;
        }
        if (end == LoopEnd.Released)
        {
            await WaitForPeerCloseAsync().ConfigureAwait(false);
        }

        await CloseTransportAsync(null).ConfigureAwait(false);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Wakes the read loop so it picks the timeout that now applies (e.g. idle after an operation ends).</summary>
    private void RearmReadTimeout()
    {
        if (Volatile.Read(ref _transportClosed) != 0)
        {
            return;
        }

        try { _input.CancelPendingRead(); } catch (InvalidOperationException) { }
    }

    private bool TryGetPdu(ReadOnlySequence<byte> buffer, out PduType type, out ReadOnlySequence<byte> pdu)
    {
        type = default;
        pdu = default;
        var reader = new SequenceReader<byte>(buffer);
        // The length is checked against the limits here, before the body is waited for.
        if (!PduHeader.TryPeek(reader, _options.Limits, out var header))
        {
            return false;
        }

        if (buffer.Length < PduHeader.Size + header.Length)
        {
            return false;
        }

        type = header.Type;
        pdu = buffer.Slice(0, PduHeader.Size + header.Length);
        return true;
    }

    private async ValueTask<LoopEnd?> HandlePduAsync(PduType type, ReadOnlySequence<byte> pdu)
    {
        switch (type)
        {
            case PduType.PDataTransfer:
                var values = ParsePData(pdu);
                foreach (var pdv in values)
                {
                    await OnPdvAsync(pdv).ConfigureAwait(false);
                }

                return null;
            case PduType.ReleaseRequest:
                if (_releaseRequested)
                {
                    // Release collision (PS3.8 9.2, AR-8..AR-10): answer, then keep waiting for our RP.
                    await WritePduAsync(new ReleaseResponsePdu().Write, _lifetime.Token).ConfigureAwait(false);
                    return null;
                }
                await CancelOperationsAsync().ConfigureAwait(false);
                await WritePduAsync(new ReleaseResponsePdu().Write, _lifetime.Token).ConfigureAwait(false);
                _releaseResponse.TrySetResult();
                return LoopEnd.Released;
            case PduType.ReleaseResponse:
                if (!_releaseRequested)
                {
                    await AbortAsync(AbortSource.ServiceProvider, AbortReason.UnexpectedPdu, "A-RELEASE-RP without request").ConfigureAwait(false);
                    return LoopEnd.Aborted;
                }
                _releaseResponse.TrySetResult();
                return LoopEnd.Aborted; // the release initiator closes the transport (PS3.8 9.2, AR-3)
            case PduType.Abort:
                var reader = new SequenceReader<byte>(pdu);
                AbortPdu.TryRead(ref reader, out var abort);
                _terminalError = new DicomAssociationAbortedException($"peer aborted (source {abort.Source}, reason {abort.Reason})", abort);
                return LoopEnd.Aborted;
            default:
                await AbortAsync(AbortSource.ServiceProvider, AbortReason.UnexpectedPdu, $"unexpected {type} on an established association").ConfigureAwait(false);
                return LoopEnd.Aborted;
        }
    }

    private List<PresentationDataValue> ParsePData(ReadOnlySequence<byte> pdu)
    {
        var reader = new SequenceReader<byte>(pdu);
        PDataTfPdu.TryRead(ref reader, _options.Limits, out var p);
        return (List<PresentationDataValue>)p.Values;
    }

    private async ValueTask OnPdvAsync(PresentationDataValue pdv)
    {
        _anyPdv = true;
        if (!_contexts.TryGetValue(pdv.PresentationContextId, out var pc) || !pc.IsAccepted)
        {
            throw new DicomFormatException($"PDV on presentation context {pdv.PresentationContextId} that was not accepted", 0);
        }

        if (pdv.IsCommand)
        {
            if (_command is not null)
            {
                throw new DicomFormatException("command fragment while a data set was expected", 0);
            }

            if (_commandBytes.WrittenCount + pdv.Data.Length > DimseCommandCodec.MaxCommandLength)
            {
                throw new DicomFormatException("command set too long", 0);
            }

            foreach (var segment in pdv.Data)
            {
                _commandBytes.Write(segment.Span);
            }

            if (!pdv.IsLastFragment)
            {
                return;
            }

            var command = DimseCommandCodec.Decode(_commandBytes.WrittenMemory);
            _commandBytes.ResetWrittenCount();
            _messageContextId = pdv.PresentationContextId;
            if (!DimseCommand.HasDataSet(command))
            {
                await DispatchAsync(pc, command, null).ConfigureAwait(false);
                return;
            }
            _command = command;
            if (DimseCommand.GetCommandField(command) == CommandField.CStoreRequest)
            {
                _store = StartStore(pc, CStoreRequest.FromCommand(command));
            }
            else
            {
                _dataBytes = new ArrayBufferWriter<byte>();
            }

            return;
        }
        if (_command is null)
        {
            throw new DicomFormatException("data set fragment without a command", 0);
        }

        if (pdv.PresentationContextId != _messageContextId)
        {
            throw new DicomFormatException("data set on another presentation context than its command", 0);
        }

        if (_store is { } store)
        {
            foreach (var segment in pdv.Data)
            {
                // Backpressure: while the provider does not read, this waits and the socket is not read either.
                var flush = await store.Pipe.Writer.WriteAsync(segment, _lifetime.Token).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    break; // the provider finished early: discard the rest
                }
            }
            if (!pdv.IsLastFragment)
            {
                return;
            }

            await store.Pipe.Writer.CompleteAsync().ConfigureAwait(false);
            var status = await store.Provider.ConfigureAwait(false);
            _store = null;
            _command = null;
            await SendAsync(pc.Id, new CStoreResponse(store.Request.MessageId, status, store.Request.AffectedSopClassUid, store.Request.AffectedSopInstanceUid), null, _lifetime.Token).ConfigureAwait(false);
            return;
        }
        var data = _dataBytes!;
        if (data.WrittenCount + pdv.Data.Length > _options.MaxIdentifierLength)
        {
            throw new DicomFormatException($"identifier longer than {_options.MaxIdentifierLength} bytes", 0);
        }

        foreach (var segment in pdv.Data)
        {
            data.Write(segment.Span);
        }

        if (!pdv.IsLastFragment)
        {
            return;
        }

        var cmd = _command;
        _command = null;
        _dataBytes = null;
        DicomDataset identifier;
        try
        {
            identifier = DicomReader.ReadDataset(data.WrittenMemory, pc.TransferSyntax!).Dataset;
        }
        catch (DicomFormatException ex) when (DimseCommand.GetCommandField(cmd) is CommandField.CFindRequest or CommandField.CMoveRequest or CommandField.CGetRequest)
        {
            // A bad identifier fails the operation, not the association (PS3.4 C.4.1.1.4: C000 unable to process).
            var id = DimseCommand.RequireUInt16(cmd, CommandTags.MessageId);
            var sop = DimseCommand.GetString(cmd, CommandTags.AffectedSopClassUid);
            var status = DimseStatus.CannotUnderstand.WithComment(ex.Reason);
            IDimseMessage rsp = DimseCommand.GetCommandField(cmd) switch
            {
                CommandField.CFindRequest => new CFindResponse(id, status, sop, null),
                CommandField.CMoveRequest => new CMoveResponse(id, status, sop, null),
                _ => new CGetResponse(id, status, sop, null),
            };
            await SendAsync(pc.Id, rsp, null, _lifetime.Token).ConfigureAwait(false);
            return;
        }
        await DispatchAsync(pc, cmd, identifier).ConfigureAwait(false);
    }

    private IncomingStore StartStore(NegotiatedPresentationContext pc, CStoreRequest request)
    {
        var pipe = new Pipe(new PipeOptions(
            pauseWriterThreshold: _options.StoreStreamBufferBytes,
            resumeWriterThreshold: _options.StoreStreamBufferBytes / 2,
            // Large segments: a 1 MiB window in 4 KiB segments outruns the shared array pool and allocates per PDU.
            minimumSegmentSize: 64 * 1024,
            useSynchronizationContext: false));
        var provider = RunStoreProviderAsync(pc, request, pipe);
        return new IncomingStore(pipe, provider, request);
    }

    private async Task<DimseStatus> RunStoreProviderAsync(NegotiatedPresentationContext pc, CStoreRequest request, Pipe pipe)
    {
        await Task.Yield(); // never run the provider on the read loop's stack
        var stream = pipe.Reader.AsStream(leaveOpen: true);
        // One trace per C-STORE: this span is its root (the read loop runs outside any), the ingest funnel's are its children.
        var started = DimseTelemetry.StartTimestamp();
        var activity = DimseTelemetry.StartOperation("C-STORE", Info, request.AffectedSopClassUid);
        var status = DimseStatus.ProcessingFailure;
        try
        {
            if (_providers.Store is not { } provider)
            {
                return status = DimseStatus.SopClassNotSupported.WithComment("no storage service on this association");
            }

            return status = await provider.OnCStoreAsync(request, stream, pc.TransferSyntax!, Info, _lifetime.Token).ConfigureAwait(false);
        }
        catch (DimseStatusException ex)
        {
            return status = ex.Status;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return status = DimseStatus.ProcessingFailure.WithComment(ex.Message);
        }
        finally
        {
            DimseTelemetry.Stop(activity, "C-STORE", status, started);
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask DispatchAsync(NegotiatedPresentationContext pc, DicomDataset command, DicomDataset? dataSet)
    {
        var message = DimseMessages.FromCommand(command, dataSet);
        switch (message)
        {
            case IDimseResponse response:
                if (_pending.TryGetValue(response.MessageIdBeingRespondedTo, out var channel))
                {
                    channel.Writer.TryWrite(response);
                }

                break;
            case CEchoRequest echo:
                var status = DimseStatus.SopClassNotSupported;
                var started = DimseTelemetry.StartTimestamp();
                var activity = DimseTelemetry.StartOperation("C-ECHO", Info, echo.AffectedSopClassUid);
                if (_providers.Echo is { } provider)
                {
                    try { status = await provider.OnCEchoAsync(echo, Info, _lifetime.Token).ConfigureAwait(false); }
                    catch (DimseStatusException ex) { status = ex.Status; }
                    catch (Exception ex) when (ex is not OperationCanceledException) { status = DimseStatus.ProcessingFailure.WithComment(ex.Message); }
                }
                DimseTelemetry.Stop(activity, "C-ECHO", status, started);
                await SendAsync(pc.Id, new CEchoResponse(echo.MessageId, status, echo.AffectedSopClassUid), null, _lifetime.Token).ConfigureAwait(false);
                break;
            case CFindRequest find:
                StartOperation(find.MessageId, ct => DimseServices.RunFindAsync(this, pc, find, ct));
                break;
            case CMoveRequest move:
                StartOperation(move.MessageId, ct => DimseServices.RunMoveAsync(this, pc, move, ct));
                break;
            case CGetRequest get:
                StartOperation(get.MessageId, ct => DimseServices.RunGetAsync(this, pc, get, ct));
                break;
            case CCancelRequest cancel:
                if (_operations.TryGetValue(cancel.MessageIdBeingRespondedTo, out var op))
                {
                    await op.Cancel.CancelAsync().ConfigureAwait(false);
                }

                break;
            default:
                throw new DicomFormatException($"unexpected {message.CommandField} request", 0);
        }
    }

    internal DicomServiceProviders Providers => _providers;

    /// <summary>Cancelled when the association ends; not by C-CANCEL, which only stops an operation between messages.</summary>
    internal CancellationToken Lifetime => _lifetime.Token;

    private void StartOperation(ushort messageId, Func<CancellationToken, Task> run)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        // Registered before it runs, so that a fast operation cannot remove itself before being added.
        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = Task.Run(async () =>
        {
            await registered.Task.ConfigureAwait(false);
            try
            {
                await run(cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A failed operation cannot answer any more: the association is no longer usable.
                await FailAsync(ex).ConfigureAwait(false);
            }
            finally
            {
                _operations.TryRemove(messageId, out _);
                cts.Dispose();
                RearmReadTimeout();
            }
        });
        _operations[messageId] = (cts, task);
        registered.SetResult();
    }

    private async Task CancelOperationsAsync()
    {
        foreach (var op in _operations.Values)
        {
            try { await op.Cancel.CancelAsync().ConfigureAwait(false); } catch (ObjectDisposedException) { }
        }
    }

    // ---------------------------------------------------------------- writing

    internal ushort NextMessageId() => (ushort)(Interlocked.Increment(ref _nextMessageId) & 0xFFFF);

    internal NegotiatedPresentationContext? FindContext(Func<NegotiatedPresentationContext, bool> predicate) =>
        _contexts.Values.OrderBy(c => c.Id).FirstOrDefault(c => c.IsAccepted && predicate(c));

    internal NegotiatedPresentationContext GetContext(byte id) => _contexts[id];

    /// <summary>Largest PDV payload: the peer's maximum PDU length (51h) less the 6-byte PDV header (PS3.8 D.1).</summary>
    private int MaxPdvDataLength
    {
        get
        {
            var peer = Info.PeerMaxPduLength;
            var max = peer == 0 ? _options.MaxSendPduLength : Math.Min(peer, _options.MaxSendPduLength);
            return (int)Math.Max(max, 64) - PDataTfPdu.PdvHeaderSize;
        }
    }

    /// <summary>
    /// Messages written without a flush (<see cref="SendWithoutFlushAsync"/>) leave once this many bytes wait, so
    /// that a long C-FIND answer streams to the peer instead of being held whole in memory.
    /// </summary>
    internal const int FlushThreshold = 64 * 1024;

    private async ValueTask WritePduAsync(Action<IBufferWriter<byte>> write, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            write(_output);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            _unflushed = 0;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Sends a message: as one PDU (command PDV, data set PDV) when both fit the peer's maximum PDU length, else its
    /// command and data set each fragmented to it; the command and the data set leave in one flush (one send, one
    /// wake-up of the peer).
    /// </summary>
    internal ValueTask SendAsync(byte contextId, IDimseMessage message, DicomDataset? dataSet, CancellationToken cancellationToken) =>
        WriteMessageAsync(contextId, message, dataSet, flush: true, cancellationToken);

    /// <summary>
    /// Writes a message like <see cref="SendAsync"/> but leaves it in the transport's buffer for the next flush
    /// (<see cref="FlushAsync"/>, the next message sent, or <see cref="FlushThreshold"/> bytes), so that responses
    /// that are ready together leave together.
    /// </summary>
    internal ValueTask SendWithoutFlushAsync(byte contextId, IDimseMessage message, DicomDataset? dataSet, CancellationToken cancellationToken) =>
        WriteMessageAsync(contextId, message, dataSet, flush: false, cancellationToken);

    /// <summary>
    /// Writes like <see cref="SendWithoutFlushAsync"/> a message whose command is already encoded
    /// (<see cref="DimseCommandCodec.Encode"/>): a C-FIND's pending responses differ only in their identifier, so
    /// their command is encoded once per request (PS3.7 9.3.2.2: Message ID Being Responded To, Affected SOP Class
    /// UID, Status and Command Data Set Type are the same for every pending response of one request).
    /// </summary>
    internal ValueTask SendWithoutFlushAsync(byte contextId, ReadOnlyMemory<byte> encodedCommand, DicomDataset dataSet, CancellationToken cancellationToken) =>
        WriteMessageAsync(contextId, encodedCommand, dataSet, flush: false, cancellationToken);

    private ValueTask WriteMessageAsync(byte contextId, IDimseMessage message, DicomDataset? dataSet, bool flush, CancellationToken cancellationToken) =>
        WriteMessageAsync(contextId, DimseCommandCodec.Encode(message.ToCommand()), dataSet, flush, cancellationToken);

    private async ValueTask WriteMessageAsync(byte contextId, ReadOnlyMemory<byte> command, DicomDataset? dataSet, bool flush, CancellationToken cancellationToken)
    {
        var syntax = dataSet is null ? null : _contexts[contextId].TransferSyntax!;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            // The data set is encoded under the write lock into one buffer the association keeps (one copy, into the
            // transport, instead of a new array per message).
            ReadOnlyMemory<byte> data = default;
            if (dataSet is not null)
            {
                _dataSetBuffer.ResetWrittenCount();
                DicomWriter.WriteDataset(_dataSetBuffer, dataSet, syntax!);
                data = _dataSetBuffer.WrittenMemory;
            }

            if (dataSet is not null && command.Length + data.Length + PDataTfPdu.PdvHeaderSize <= MaxPdvDataLength)
            {
                // A message that fits one PDU leaves as one: a command PDV and a data set PDV (a C-FIND's pending
                // responses: the peer reads and parses one PDU per match instead of two).
                PDataTfPdu.WriteCommandAndData(_output, contextId, command.Span, data.Span);
                _unflushed += PduHeader.Size + 2 * PDataTfPdu.PdvHeaderSize + command.Length + data.Length;
                if (_unflushed >= FlushThreshold)
                {
                    await FlushOutputAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                await WriteFragmentsAsync(contextId, command, true, cancellationToken).ConfigureAwait(false);
                if (dataSet is not null)
                {
                    await WriteFragmentsAsync(contextId, data, false, cancellationToken).ConfigureAwait(false);
                }
            }

            if (flush && _unflushed > 0)
            {
                await FlushOutputAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (_dataSetBuffer.Capacity > MaxKeptDataSetBuffer)
            {
                _dataSetBuffer = new ArrayBufferWriter<byte>(InitialDataSetBuffer); // a large one-off is not kept for the association's life
            }

            _writeLock.Release();
        }
    }

    /// <summary>
    /// Sends what <see cref="SendWithoutFlushAsync"/> left in the buffer. Best effort: a transport that is closing is reported by
    /// the next send, not here (a caller flushes before it waits for something else, and must still collect that).
    /// </summary>
    internal async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }
        try
        {
            if (_unflushed == 0 || Volatile.Read(ref _transportClosed) != 0)
            {
                return;
            }

            await FlushOutputAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DicomAssociationAbortedException or OperationCanceledException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The transport is going away; the next send or the read loop reports it.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Called under the write lock.</summary>
    private async ValueTask FlushOutputAsync(CancellationToken cancellationToken)
    {
        var flush = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        _unflushed = 0;
        if (flush.IsCompleted || flush.IsCanceled)
        {
            throw new DicomAssociationAbortedException("transport closed while sending");
        }
    }

    /// <summary>Writes the PDUs of one command or data set; flushes only past <see cref="FlushThreshold"/> (called under the write lock).</summary>
    private async ValueTask WriteFragmentsAsync(byte contextId, ReadOnlyMemory<byte> data, bool command, CancellationToken cancellationToken)
    {
        var max = MaxPdvDataLength;
        var offset = 0;
        do
        {
            var n = Math.Min(max, data.Length - offset);
            PDataTfPdu.WriteSingle(_output, contextId, command, offset + n == data.Length, data.Span.Slice(offset, n));
            offset += n;
            _unflushed += PduHeader.Size + PDataTfPdu.PdvHeaderSize + n;
            if (_unflushed >= FlushThreshold)
            {
                await FlushOutputAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        while (offset < data.Length);
    }

    /// <summary>
    /// Sends a C-STORE-RQ whose data set comes from <paramref name="dataSet"/>, one PDU at a time: memory stays at two
    /// PDV buffers whatever the instance size. A one-PDV look-ahead finds the last fragment without needing a length.
    /// </summary>
    internal async ValueTask SendStoreAsync(byte contextId, CStoreRequest request, Stream dataSet, CancellationToken cancellationToken)
    {
        var command = DimseCommandCodec.Encode(((IDimseMessage)request).ToCommand());
        var max = MaxPdvDataLength;
        var a = ArrayPool<byte>.Shared.Rent(max);
        var b = ArrayPool<byte>.Shared.Rent(max);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            // The command leaves with the first data PDU (one send, one wake-up of the peer).
            await WriteFragmentsAsync(contextId, command, true, cancellationToken).ConfigureAwait(false);
            var na = await dataSet.ReadAtLeastAsync(a.AsMemory(0, max), max, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var nb = na < max ? 0 : await dataSet.ReadAtLeastAsync(b.AsMemory(0, max), max, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                var last = nb == 0;
                PDataTfPdu.WriteSingle(_output, contextId, false, last, a.AsSpan(0, na));
                await FlushOutputAsync(cancellationToken).ConfigureAwait(false);
                if (last)
                {
                    break;
                }

                (a, b) = (b, a);
                na = nb;
            }
        }
        finally
        {
            _writeLock.Release();
            ArrayPool<byte>.Shared.Return(a);
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    /// <summary>Registers for responses to <paramref name="messageId"/>; dispose the registration when done.</summary>
    internal ResponseRegistration ExpectResponses(ushort messageId)
    {
        var channel = Channel.CreateUnbounded<IDimseResponse>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _pending[messageId] = channel;
        if (_closed.Task.IsCompleted)
        {
            channel.Writer.TryComplete(Aborted());
        }

        return new ResponseRegistration(this, messageId, channel);
    }

    internal sealed class ResponseRegistration(DicomAssociation association, ushort messageId, Channel<IDimseResponse> channel) : IDisposable
    {
        /// <summary>Next response, within the DIMSE timeout (PS3.8 does not bound it; local policy does).</summary>
        public async ValueTask<IDimseResponse> NextAsync(CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, association._lifetime.Token);
            cts.CancelAfter(association._options.DimseTimeout);
            try
            {
                return await channel.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex)
            {
                throw ex.InnerException as DicomAssociationAbortedException ?? association.Aborted();
            }
            catch (DicomAssociationAbortedException)
            {
                throw;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (association._lifetime.IsCancellationRequested || association._closed.Task.IsCompleted)
                {
                    throw association.Aborted();
                }

                await association.AbortAsync(AbortSource.ServiceUser, AbortReason.NotSpecified, "DIMSE timeout waiting for a response").ConfigureAwait(false);
                throw new DicomAssociationAbortedException("DIMSE timeout waiting for a response");
            }
        }

        public void Dispose()
        {
            association._pending.TryRemove(messageId, out _);
            association.RearmReadTimeout();
        }
    }

    /// <summary>Called under the write lock: the writer may already be completed by a close.</summary>
    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _transportClosed) != 0)
        {
            throw Aborted();
        }
    }

    private DicomAssociationAbortedException Aborted() =>
        _terminalError as DicomAssociationAbortedException ?? new DicomAssociationAbortedException("association closed", inner: _terminalError);

    // ---------------------------------------------------------------- release, abort, close

    /// <summary>Orderly release (PS3.8 7.2): A-RELEASE-RQ, wait (ARTIM) for A-RELEASE-RP, close.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        if (_closed.Task.IsCompleted)
        {
            return;
        }

        _releaseRequested = true;
        try
        {
            await WritePduAsync(new ReleaseRequestPdu().Write, cancellationToken).ConfigureAwait(false);
        }
        catch (DicomAssociationAbortedException)
        {
            return; // closed meanwhile (peer abort or close): nothing left to release
        }
        // PS3.8 9.2 AR-1..AR-3: ARTIM bounds the wait for A-RELEASE-RP; then the initiator closes.
        await Task.WhenAny(_releaseResponse.Task, _closed.Task, Task.Delay(_options.ArtimTimeout, cancellationToken)).ConfigureAwait(false);
        if (!_releaseResponse.Task.IsCompleted && !_closed.Task.IsCompleted)
        {
            await AbortAsync(AbortSource.ServiceProvider, AbortReason.NotSpecified, "ARTIM expired waiting for A-RELEASE-RP").ConfigureAwait(false);
        }

        await CloseTransportAsync(null).ConfigureAwait(false);
    }

    /// <summary>A-ABORT (PS3.8 7.3): best effort to send it, then close at once.</summary>
    public async Task AbortAsync(AbortSource source, AbortReason reason, string why)
    {
        _terminalError ??= new DicomAssociationAbortedException(why, new AbortPdu(source, reason));
        if (Volatile.Read(ref _transportClosed) == 0)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                if (await _writeLock.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false))
                {
                    try
                    {
                        new AbortPdu(source, reason).Write(_output);
                        await _output.FlushAsync(cts.Token).ConfigureAwait(false);
                        _unflushed = 0;
                    }
                    finally
                    {
                        _writeLock.Release();
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
            {
                // The transport is already gone: nothing more to say to the peer.
            }
        }
        await CloseTransportAsync(_terminalError).ConfigureAwait(false);
    }

    private async Task FailAsync(Exception ex)
    {
        switch (ex)
        {
            case DicomFormatException f:
                await AbortAsync(AbortSource.ServiceProvider, AbortReason.InvalidPduParameterValue, "malformed PDU: " + f.Message).ConfigureAwait(false);
                break;
            case TimeoutException t:
                await AbortAsync(AbortSource.ServiceProvider, AbortReason.NotSpecified, t.Message).ConfigureAwait(false);
                break;
            case DicomAssociationAbortedException a:
                _terminalError ??= a;
                await CloseTransportAsync(a).ConfigureAwait(false);
                break;
            case OperationCanceledException when _lifetime.IsCancellationRequested:
                await AbortAsync(AbortSource.ServiceUser, AbortReason.NotSpecified, "shutting down").ConfigureAwait(false);
                break;
            default:
                await AbortAsync(AbortSource.ServiceProvider, AbortReason.NotSpecified, ex.Message).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>After A-RELEASE-RP or A-ASSOCIATE-RJ: ARTIM runs until the peer closes (PS3.8 9.2, AR-4 / AE-8).</summary>
    private async Task WaitForPeerCloseAsync()
    {
        try
        {
            while (true)
            {
                var result = await ReadWithTimeoutAsync(_options.ArtimTimeout, "ARTIM").ConfigureAwait(false);
                _input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or OperationCanceledException or InvalidOperationException)
        {
            // Timer expired or transport already gone: close anyway.
        }
    }

    private async Task CloseTransportAsync(Exception? error)
    {
        if (Interlocked.Exchange(ref _transportClosed, 1) == 1)
        {
            await _closed.Task.ConfigureAwait(false);
            return;
        }
        if (error is not null)
        {
            _terminalError ??= error;
        }

        var aborted = Aborted();
        foreach (var channel in _pending.Values)
        {
            channel.Writer.TryComplete(aborted);
        }

        if (_store is { } store)
        {
            await store.Pipe.Writer.CompleteAsync(new IOException("association ended mid-instance", aborted)).ConfigureAwait(false);
        }

        try { await _lifetime.CancelAsync().ConfigureAwait(false); } catch (ObjectDisposedException) { }
        // A PipeWriter is not thread-safe: complete it under the write lock, after unblocking any stalled flush.
        _output.CancelPendingFlush();
        var locked = await _writeLock.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        try { await _output.CompleteAsync().ConfigureAwait(false); } catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException) { }
        finally { if (locked)
            {
                _writeLock.Release();
            }
        }
        try { await _input.CompleteAsync().ConfigureAwait(false); } catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException) { }
        if (_store is { } s)
        {
            try { await s.Provider.ConfigureAwait(false); } catch (Exception ex) when (ex is not OutOfMemoryException) { }
        }
        _closed.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await CloseTransportAsync(null).ConfigureAwait(false);
        foreach (var op in _operations.Values)
        {
            try { await op.Task.ConfigureAwait(false); } catch (Exception ex) when (ex is not OutOfMemoryException) { }
        }
        _lifetime.Dispose();
        _writeLock.Dispose();
    }
}
