using Pacs.Dicom.Codecs;
using Pacs.Dicom.IO;
using Pacs.Dicom.Network.Dimse;

namespace Pacs.Dicom.Network;

/// <summary>The SCP side of C-FIND, C-MOVE and C-GET (PS3.4 C.4), run as one background operation per request.</summary>
internal static class DimseServices
{
    public static async Task RunFindAsync(DicomAssociation association, NegotiatedPresentationContext pc, CFindRequest request, CancellationToken cancellationToken)
    {
        var started = DimseTelemetry.StartTimestamp();
        using var activity = DimseTelemetry.StartOperation("C-FIND", association.Info, request.AffectedSopClassUid);
        var final = DimseStatus.Success;
        if (association.Providers.Find is not { } provider)
        {
            final = DimseStatus.SopClassNotSupported;
        }
        else
        {
            try
            {
                var matches = provider.OnCFindAsync(request, association.Info, cancellationToken).GetAsyncEnumerator(cancellationToken);
                ReadOnlyMemory<byte> pending = default; // the pending responses' command, encoded for the first and sent with every one
                try
                {
                    while (true)
                    {
                        // Pending responses are written without a flush while the next match is at hand (rows the
                        // database already sent), and flushed before waiting for more: the peer gets them in a few
                        // sends, and the last pending ones leave with the final response, instead of two small sends
                        // and two wake-ups of the peer per match (each P-DATA-TF PDU stands on its own, PS3.8 9.3.5:
                        // how PDUs share a TCP send is the sender's choice).
                        var next = matches.MoveNextAsync();
                        if (!next.IsCompleted)
                        {
                            await association.FlushAsync(association.Lifetime).ConfigureAwait(false);
                        }

                        if (!await next.ConfigureAwait(false))
                        {
                            break;
                        }

                        if (cancellationToken.IsCancellationRequested)
                        {
                            break;
                        }

                        var match = matches.Current;
                        // C-CANCEL stops the stream between responses, never inside one (a half-sent message would end the association).
                        if (pending.IsEmpty)
                        {
                            pending = DimseCommandCodec.Encode(((IDimseMessage)new CFindResponse(request.MessageId, DimseStatus.Pending, request.AffectedSopClassUid, match)).ToCommand());
                        }

                        await association.SendWithoutFlushAsync(pc.Id, pending, match, association.Lifetime).ConfigureAwait(false);
                    }
                }
                finally
                {
                    await matches.DisposeAsync().ConfigureAwait(false);
                }
                if (cancellationToken.IsCancellationRequested)
                {
                    final = DimseStatus.Cancel;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                final = DimseStatus.Cancel; // PS3.4 C.4.1.2.3: C-CANCEL ends with status Cancel
            }
            catch (DimseStatusException ex)
            {
                final = ex.Status;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException and not DicomAssociationAbortedException)
            {
                final = DimseStatus.UnableToProcess.WithComment(ex.Message);
            }
        }
        DimseTelemetry.Stop(activity, "C-FIND", final, started);
        await association.SendAsync(pc.Id, new CFindResponse(request.MessageId, final, request.AffectedSopClassUid, null), null, CancellationToken.None).ConfigureAwait(false);
    }

    public static async Task RunGetAsync(DicomAssociation association, NegotiatedPresentationContext pc, CGetRequest request, CancellationToken cancellationToken)
    {
        var started = DimseTelemetry.StartTimestamp();
        using var activity = DimseTelemetry.StartOperation("C-GET", association.Info, request.AffectedSopClassUid);
        if (association.Providers.Get is not { } provider)
        {
            DimseTelemetry.Stop(activity, "C-GET", DimseStatus.SopClassNotSupported, started);
            await association.SendAsync(pc.Id, new CGetResponse(request.MessageId, DimseStatus.SopClassNotSupported, request.AffectedSopClassUid, null), null, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        var progress = new Progress();
        IReadOnlyList<InstanceToSend> instances;
        try
        {
            instances = await provider.GetInstancesAsync(request, association.Info, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not DicomAssociationAbortedException)
        {
            var status = ex is DimseStatusException d ? d.Status
                : cancellationToken.IsCancellationRequested ? DimseStatus.Cancel
                : DimseStatus.UnableToProcess.WithComment(ex.Message);
            DimseTelemetry.Stop(activity, "C-GET", status, started);
            await association.SendAsync(pc.Id, new CGetResponse(request.MessageId, status, request.AffectedSopClassUid, null), null, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        progress.Remaining = instances.Count;
        foreach (var instance in instances)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            // PS3.4 C.4.3.1: sub-operations go on a context of the instance's SOP class where the requestor is SCP.
            DimseStatus status;
            if (ChooseStoreContext(association, instance, requireScpRole: true) is not { } choice)
            {
                status = DimseStatus.SopClassNotSupported;
            }
            else
            {
                // A sub-operation under way when C-CANCEL arrives is finished (PS3.4 C.4.3.3.1 stops the ones not started).
                using var sub = DimseTelemetry.StartSubOperation(association.Info.CallingAeTitle, association.Info.CalledAeTitle, instance.SopClassUid);
                try
                {
                    status = await StoreSubOperationAsync(association, choice.Context, choice.Instance, null, null, association.Lifetime).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException and not DicomAssociationAbortedException)
                {
                    status = DimseStatus.ProcessingFailure.WithComment(ex.Message); // e.g. the blob could not be opened
                }
                DimseTelemetry.Stop(sub, "C-STORE sub-operation", status, 0);
            }
            progress.Count(instance, status);
            if (progress.Remaining > 0 && !cancellationToken.IsCancellationRequested)
            {
                await association.SendAsync(pc.Id, new CGetResponse(request.MessageId, DimseStatus.Pending, request.AffectedSopClassUid, progress.Counts(true)), null, association.Lifetime).ConfigureAwait(false);
            }
        }
        var (final, identifier) = progress.Final(cancellationToken.IsCancellationRequested);
        DimseTelemetry.Stop(activity, "C-GET", final, started);
        await association.SendAsync(pc.Id, new CGetResponse(request.MessageId, final, request.AffectedSopClassUid, progress.Counts(cancellationToken.IsCancellationRequested), identifier), identifier, CancellationToken.None).ConfigureAwait(false);
    }

    public static async Task RunMoveAsync(DicomAssociation association, NegotiatedPresentationContext pc, CMoveRequest request, CancellationToken cancellationToken)
    {
        var started = DimseTelemetry.StartTimestamp();
        using var activity = DimseTelemetry.StartOperation("C-MOVE", association.Info, request.AffectedSopClassUid);
        async ValueTask Respond(DimseStatus status, SubOperationCounts? counts = null, DicomDataset? identifier = null)
        {
            // Every response but a pending one is the last: the operation's span ends with it.
            if (!status.IsPending)
            {
                DimseTelemetry.Stop(activity, "C-MOVE", status, started);
            }

            await association.SendAsync(pc.Id, new CMoveResponse(request.MessageId, status, request.AffectedSopClassUid, counts, identifier), identifier, CancellationToken.None).ConfigureAwait(false);
        }

        if (association.Providers.Move is not { } provider)
        {
            await Respond(DimseStatus.SopClassNotSupported).ConfigureAwait(false);
            return;
        }
        DicomPeer? destination;
        IReadOnlyList<InstanceToSend> instances;
        try
        {
            destination = await provider.ResolveDestinationAsync(request.MoveDestination, association.Info, cancellationToken).ConfigureAwait(false);
            if (destination is null)
            {
                await Respond(DimseStatus.MoveDestinationUnknown).ConfigureAwait(false);
                return;
            }
            instances = await provider.GetInstancesAsync(request, association.Info, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not DicomAssociationAbortedException)
        {
            await Respond(ex is DimseStatusException d ? d.Status
                : cancellationToken.IsCancellationRequested ? DimseStatus.Cancel
                : DimseStatus.UnableToProcess.WithComment(ex.Message)).ConfigureAwait(false);
            return;
        }
        var progress = new Progress { Remaining = instances.Count };
        if (instances.Count > 0)
        {
            DicomClient client;
            try
            {
                // PS3.4 C.4.2.2.2: sub-operations on a new association, we being the requestor and storage SCU.
                // Each instance's own syntax in a context of its own, so that a peer accepting it is never pushed to
                // another one (the SCP picks one syntax per context, PS3.8 9.3.3.2); native instances also get a
                // second context with the other native syntaxes as a fallback (converted on the fly), and compressed
                // ones that can be decoded here a second context with the native little-endian syntaxes (decoded on
                // the fly) for a peer that accepts uncompressed data only.
                var contexts = instances.Select(i => (i.SopClassUid, i.TransferSyntax)).Distinct()
                    .SelectMany(p => p.TransferSyntax.IsNative
                        ? new[]
                        {
                            new PresentationContextRequest(p.SopClassUid, [p.TransferSyntax.Uid]),
                            new PresentationContextRequest(p.SopClassUid, DicomClientOptions.NativeTransferSyntaxes.Where(t => t != p.TransferSyntax.Uid).ToList()),
                        }
                        : FrameDecoders.CanDecode(p.TransferSyntax)
                            ? new[] { new PresentationContextRequest(p.SopClassUid, [p.TransferSyntax.Uid]), new PresentationContextRequest(p.SopClassUid, DicomClientOptions.NativeTransferSyntaxes) }
                            : new[] { new PresentationContextRequest(p.SopClassUid, [p.TransferSyntax.Uid]) }).ToList();
                client = await DicomClient.ConnectAsync(new DicomClientOptions
                {
                    Host = destination.Host,
                    Port = destination.Port,
                    CalledAeTitle = destination.AeTitle,
                    CallingAeTitle = association.Info.CalledAeTitle,
                    PresentationContexts = contexts,
                    Association = association.Options,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    await Respond(DimseStatus.Cancel, progress.Counts(true)).ConfigureAwait(false); // none started
                }
                else
                {
                    await Respond(DimseStatus.UnableToPerformSubOperations.WithComment(ex.Message)).ConfigureAwait(false);
                }

                return;
            }
            await using (client.ConfigureAwait(false))
            {
                foreach (var instance in instances)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    DimseStatus status;
                    using var sub = DimseTelemetry.StartSubOperation(destination.AeTitle, association.Info.CalledAeTitle, instance.SopClassUid);
                    try
                    {
                        // A sub-operation under way when C-CANCEL arrives is finished (PS3.4 C.4.2.3.1 stops the ones not started).
                        status = await client.StoreAsync(instance, association.Info.CallingAeTitle, request.MessageId, association.Lifetime).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
                    {
                        status = DimseStatus.ProcessingFailure.WithComment(ex.Message);
                    }
                    DimseTelemetry.Stop(sub, "C-STORE sub-operation", status, 0);
                    progress.Count(instance, status);
                    if (progress.Remaining > 0 && !cancellationToken.IsCancellationRequested)
                    {
                        await Respond(DimseStatus.Pending, progress.Counts(true)).ConfigureAwait(false);
                    }
                }
                try { await client.ReleaseAsync(CancellationToken.None).ConfigureAwait(false); }
                catch (Exception ex) when (ex is not OutOfMemoryException) { /* the sub-operations are already counted */ }
            }
        }
        var (final, identifier) = progress.Final(cancellationToken.IsCancellationRequested);
        await Respond(final, progress.Counts(cancellationToken.IsCancellationRequested), identifier).ConfigureAwait(false);
    }

    /// <summary>
    /// The presentation context to send <paramref name="instance"/> on: one that accepted its own transfer syntax;
    /// else, for a native instance, one with another native syntax, the instance then converted on the fly
    /// (PS3.5 A.1-A.3); else, for a compressed instance whose codec is here (<see cref="FrameDecoders.CanDecode"/>),
    /// one with a native little-endian syntax, the pixel data then decoded on the fly (<see cref="NativePixelData"/>,
    /// PS3.4 C.4.2.3.1 / C.4.3.3.1: the SCP may convert to a syntax the destination accepted). A conversion holds that
    /// one instance in memory; a codestream that does not decode fails that sub-operation only. Compressed data is
    /// never re-encoded into another compressed syntax.
    /// </summary>
    internal static (NegotiatedPresentationContext Context, InstanceToSend Instance)? ChooseStoreContext(DicomAssociation association, InstanceToSend instance, bool requireScpRole)
    {
        var exact = association.FindContext(c => c.AbstractSyntax == instance.SopClassUid && (!requireScpRole || c.RequestorIsScp)
            && c.TransferSyntax!.Uid == instance.TransferSyntax.Uid);
        if (exact is not null)
        {
            return (exact, instance);
        }

        var decode = !instance.TransferSyntax.IsNative;
        if (decode && !FrameDecoders.CanDecode(instance.TransferSyntax))
        {
            return null;
        }

        var target = association.FindContext(c => c.AbstractSyntax == instance.SopClassUid && (!requireScpRole || c.RequestorIsScp)
            && c.TransferSyntax!.IsNative && !c.TransferSyntax.IsDeflated && !(decode && c.TransferSyntax.IsBigEndian));
        if (target is null)
        {
            return null;
        }

        var syntax = target.TransferSyntax!;
        return (target, instance with
        {
            TransferSyntax = syntax,
            OpenDataSetAsync = async ct =>
            {
                var source = await instance.OpenDataSetAsync(ct).ConfigureAwait(false);
                await using (source.ConfigureAwait(false))
                {
                    var read = await DicomReader.ReadDatasetAsync(source, instance.TransferSyntax, null, ct).ConfigureAwait(false);
                    var dataset = decode ? NativePixelData.Decode(read.Dataset, instance.TransferSyntax) : read.Dataset;
                    return new MemoryStream(DicomWriter.ToBytes(dataset, syntax), writable: false);
                }
            },
        });
    }

    /// <summary>One C-STORE sub-operation on <paramref name="association"/>: request, streamed data set, response.</summary>
    internal static async Task<DimseStatus> StoreSubOperationAsync(DicomAssociation association, NegotiatedPresentationContext pc,
        InstanceToSend instance, string? moveOriginatorAe, ushort? moveOriginatorMessageId, CancellationToken cancellationToken)
    {
        var messageId = association.NextMessageId();
        using var registration = association.ExpectResponses(messageId);
        var stream = await instance.OpenDataSetAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await association.SendStoreAsync(pc.Id, new CStoreRequest(messageId, instance.SopClassUid, instance.SopInstanceUid,
                DimsePriority.Medium, moveOriginatorAe, moveOriginatorMessageId), stream, cancellationToken).ConfigureAwait(false);
        }
        while (true)
        {
            if (await registration.NextAsync(cancellationToken).ConfigureAwait(false) is CStoreResponse response)
            {
                return response.Status;
            }
        }
    }

    private sealed class Progress
    {
        public int Remaining;
        public int Completed;
        public int Failed;
        public int Warning;
        public List<string> FailedUids { get; } = [];

        public void Count(InstanceToSend instance, DimseStatus status)
        {
            Remaining--;
            switch (status.Category)
            {
                case DimseStatusCategory.Success: Completed++; break;
                case DimseStatusCategory.Warning: Warning++; break;
                default:
                    Failed++;
                    FailedUids.Add(instance.SopInstanceUid);
                    break;
            }
        }

        private static ushort Clamp(int v) => (ushort)Math.Clamp(v, 0, ushort.MaxValue);

        /// <summary>Remaining is sent in pending responses and after a cancel (PS3.4 C.4.2.3.1), not in a normal final one.</summary>
        public SubOperationCounts Counts(bool withRemaining) =>
            new(withRemaining ? Clamp(Remaining) : null, Clamp(Completed), Clamp(Failed), Clamp(Warning));

        /// <summary>Final status per PS3.4 C.4.2.1.5 / C.4.3.1.4, with (0008,0058) listing failed instances.</summary>
        public (DimseStatus Status, DicomDataset? Identifier) Final(bool cancelled)
        {
            DicomDataset? identifier = null;
            if (FailedUids.Count > 0 || (cancelled && Remaining > 0))
            {
                identifier = new DicomDataset();
                identifier.SetStrings(DicomTag.FailedSOPInstanceUIDList, DicomVR.UI, FailedUids);
            }
            if (cancelled)
            {
                return (DimseStatus.Cancel, identifier);
            }

            if (Failed > 0 && Completed == 0 && Warning == 0)
            {
                return (DimseStatus.UnableToPerformSubOperations, identifier);
            }

            if (Failed > 0 || Warning > 0)
            {
                return (DimseStatus.SubOperationsCompleteWithFailures, identifier);
            }

            return (DimseStatus.Success, identifier);
        }
    }
}
