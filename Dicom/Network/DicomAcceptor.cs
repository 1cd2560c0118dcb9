using System.IO.Pipelines;
using System.Net;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>
/// The SCP side (association acceptor) on any <see cref="IDuplexPipe"/>: a socket via <see cref="DicomServer"/>, or a
/// Kestrel connection handed in by a ConnectionHandler.
/// </summary>
public sealed class DicomAcceptor(DicomAssociationOptions options, IAssociationPolicy policy, DicomServiceProviders providers)
{
    public DicomAssociationOptions Options => options;

    /// <summary>Runs one association to its end; protocol errors end in A-ABORT, never in an exception.</summary>
    public Task RunAsync(IDuplexPipe transport, EndPoint? remoteEndPoint, CancellationToken cancellationToken) =>
        DicomAssociation.RunAcceptorAsync(transport, remoteEndPoint, options, policy, providers, cancellationToken);

    /// <summary>Reads the A-ASSOCIATE-RQ and answers <paramref name="reject"/> (e.g. when over the association bound).</summary>
    public Task RejectAsync(IDuplexPipe transport, AssociateRejectPdu reject, CancellationToken cancellationToken) =>
        DicomAssociation.RejectAsync(transport, options with { ArtimTimeout = TimeSpan.FromSeconds(Math.Min(options.ArtimTimeout.TotalSeconds, 5)) }, reject, cancellationToken);
}
