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

    public IAssociationPolicy Policy => policy;

    /// <summary>The same acceptor with another policy, e.g. one that also checks a connection's TLS client certificate.</summary>
    public DicomAcceptor WithPolicy(IAssociationPolicy other) => new(options, other, providers);

    /// <summary>Runs one association to its end; protocol errors end in A-ABORT, never in an exception.</summary>
    /// <param name="onEstablished">Called once the A-ASSOCIATE-AC is sent, with a handle to release or abort from our side.</param>
    /// <param name="admit">
    /// Called with an A-ASSOCIATE-RQ the policy accepts, before it is answered: null to accept, or the A-ASSOCIATE-RJ
    /// to send instead (e.g. <see cref="AssociationSlot.AdmitCallingAe"/> for the per-calling-AE quota).
    /// </param>
    public Task RunAsync(IDuplexPipe transport, EndPoint? remoteEndPoint, CancellationToken cancellationToken,
        Action<DicomAssociationHandle>? onEstablished = null, Func<AssociateRequestPdu, AssociateRejectPdu?>? admit = null) =>
        DicomAssociation.RunAcceptorAsync(transport, remoteEndPoint, options, policy, providers, onEstablished, admit, cancellationToken);

    /// <summary>
    /// Reads the A-ASSOCIATE-RQ and answers <paramref name="reject"/> (e.g. when over a quota). The wait for the
    /// request is at most 2 s: a peer that connects without speaking is not worth more of a refused slot.
    /// </summary>
    public Task RejectAsync(IDuplexPipe transport, AssociateRejectPdu reject, CancellationToken cancellationToken) =>
        DicomAssociation.RejectAsync(transport, options with { ArtimTimeout = TimeSpan.FromSeconds(Math.Min(options.ArtimTimeout.TotalSeconds, 2)) }, reject, cancellationToken);
}

/// <summary>Lets the acceptor's host end an established association itself: orderly release or abort.</summary>
public sealed class DicomAssociationHandle
{
    private readonly DicomAssociation _association;

    internal DicomAssociationHandle(DicomAssociation association) => _association = association;

    public AssociationInfo Info => _association.Info;

    public Task Closed => _association.Closed;

    /// <summary>A-RELEASE-RQ from the acceptor (PS3.8 7.2: either side may release), waits for A-RELEASE-RP.</summary>
    public Task ReleaseAsync(CancellationToken cancellationToken = default) => _association.ReleaseAsync(cancellationToken);

    public Task AbortAsync() => _association.AbortAsync(AbortSource.ServiceUser, AbortReason.NotSpecified, "aborted by the acceptor");
}
