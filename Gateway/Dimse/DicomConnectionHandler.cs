using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// The DICOM port hosted in Kestrel: each TCP connection is one association run by the network layer's acceptor on
/// the connection's pipe (no thread per association). Each connection takes a slot of the node's, its address's and
/// (once the request is read) its calling AE title's quota (<see cref="DimseOptions"/>); past a quota the request is
/// answered with a transient rejection while the rejection budget lasts, and the connection is closed at once beyond
/// it, so that neither idle associations nor half-open connections from one peer can lock the others out.
/// </summary>
internal sealed partial class DicomConnectionHandler(DicomAcceptor acceptor, AssociationLimiter limiter, IHostApplicationLifetime lifetime, ILogger<DicomConnectionHandler> logger)
    : ConnectionHandler
{
    private long _lastRefusalLogged = Environment.TickCount64 - RefusalLogInterval;
    private long _refusedSinceLogged;

    /// <summary>A flood is logged once per interval with a count, not once per connection.</summary>
    private const long RefusalLogInterval = 10_000;

    public int ActiveAssociations => limiter.ActiveConnections;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, lifetime.ApplicationStopping);
        using var slot = limiter.TryEnter(connection.RemoteEndPoint, out var refusal);
        if (slot is null)
        {
            NoteRefused(connection, refusal);
            using var rejection = limiter.TryEnterRejection();
            if (rejection is null)
            {
                return; // closes the connection without reading from it
            }

            try { await acceptor.RejectAsync(connection.Transport, AssociationLimiter.LocalLimitExceeded, stop.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OutOfMemoryException) { LogFailed(logger, ex); }
            return;
        }
        GatewayTelemetry.AssociationStarted();
        try
        {
            var transport = QuickAck.Wrap(connection.Transport, connection.Features.Get<IConnectionSocketFeature>()?.Socket);
            // The DICOM TLS port's middleware may hand in an acceptor bound to the client certificate (Transport/).
            var connectionAcceptor = connection.Features.Get<DicomAcceptor>() ?? acceptor;
            await connectionAcceptor.RunAsync(transport, connection.RemoteEndPoint, stop.Token, admit: request => AdmitCallingAe(slot, request)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // RunAsync ends protocol errors in A-ABORT; this is the unexpected, logged and contained to the connection.
            LogFailed(logger, ex);
        }
        finally
        {
            GatewayTelemetry.AssociationEnded();
        }
    }

    private AssociateRejectPdu? AdmitCallingAe(AssociationSlot slot, AssociateRequestPdu request)
    {
        var reject = slot.AdmitCallingAe(request);
        if (reject is not null)
        {
            LogCallingAeRefused(logger, request.CallingAeTitle);
        }

        return reject;
    }

    private void NoteRefused(ConnectionContext connection, string refusal)
    {
        // Before negotiation, by the host's quotas: the reasons a negotiation refuses are counted by the network layer.
        DimseTelemetry.CountRefused(refusal.StartsWith("node", StringComparison.Ordinal) ? "node-limit" : "address-limit");
        var refused = Interlocked.Increment(ref _refusedSinceLogged);
        var last = Volatile.Read(ref _lastRefusalLogged);
        var now = Environment.TickCount64;
        if (now - last < RefusalLogInterval || Interlocked.CompareExchange(ref _lastRefusalLogged, now, last) != last)
        {
            return;
        }

        Interlocked.Add(ref _refusedSinceLogged, -refused);
        LogRefused(logger, connection.RemoteEndPoint?.ToString(), refusal, refused);
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Connection from {RemoteEndPoint} refused: {Refusal} ({Refused} refused since the last such message)")]
    private static partial void LogRefused(ILogger logger, string? remoteEndPoint, string refusal, long refused);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Association ended with an unexpected error")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Association from {CallingAe} refused: limit of concurrent associations per calling AE title reached")]
    private static partial void LogCallingAeRefused(ILogger logger, string callingAe);
}
