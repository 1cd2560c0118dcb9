using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Options;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Gateway.Dimse;

/// <summary>
/// The DICOM port hosted in Kestrel: each TCP connection is one association run by the network layer's acceptor on
/// the connection's pipe (no thread per association). Past <see cref="DimseOptions.MaxAssociations"/> the request is
/// answered with a transient rejection, so a flood is refused rather than exhausting the node.
/// </summary>
internal sealed partial class DicomConnectionHandler(DicomAcceptor acceptor, IOptions<DimseOptions> options, IHostApplicationLifetime lifetime, ILogger<DicomConnectionHandler> logger)
    : ConnectionHandler
{
    private static readonly AssociateRejectPdu LocalLimitExceeded =
        new(AssociateRejectResult.Transient, AssociateRejectSource.ServiceProviderPresentation, AssociateRejectReason.LocalLimitExceeded);

    private int _active;

    public int ActiveAssociations => Volatile.Read(ref _active);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, lifetime.ApplicationStopping);
        if (Interlocked.Increment(ref _active) > options.Value.MaxAssociations)
        {
            Interlocked.Decrement(ref _active);
            LogRefused(logger, connection.RemoteEndPoint?.ToString());
            try { await acceptor.RejectAsync(connection.Transport, LocalLimitExceeded, stop.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OutOfMemoryException) { LogFailed(logger, ex); }
            return;
        }
        try
        {
            var transport = QuickAck.Wrap(connection.Transport, connection.Features.Get<IConnectionSocketFeature>()?.Socket);
            await acceptor.RunAsync(transport, connection.RemoteEndPoint, stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // RunAsync ends protocol errors in A-ABORT; this is the unexpected, logged and contained to the connection.
            LogFailed(logger, ex);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Association from {RemoteEndPoint} refused: local limit of concurrent associations reached")]
    private static partial void LogRefused(ILogger logger, string? remoteEndPoint);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Association ended with an unexpected error")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
