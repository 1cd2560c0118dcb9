using System.Net;
using System.Security.Cryptography.X509Certificates;
using Pacs.Dicom.Network;
using Pacs.Dicom.Network.Pdus;
using Pacs.Index;

namespace Pacs.Gateway.Transport;

/// <summary>
/// Binds a DICOM TLS client certificate to a registered DICOM node: the certificate's subject common name is an AE
/// title, the association's calling AE title must be that same title, and a node of that title must be in the node
/// registry. Otherwise the association is rejected as "calling AE title not recognized" (PS3.8 7.1.1.7), so that a
/// certificate issued to one modality cannot be used to act as another. Then the gateway's usual policy decides.
/// </summary>
internal sealed class CertificateNodePolicy(IAssociationPolicy inner, X509Certificate2 certificate, NodeRegistry nodes) : IAssociationPolicy
{
    public async ValueTask<AssociationDecision> DecideAsync(AssociateRequestPdu request, EndPoint? remoteEndPoint, CancellationToken cancellationToken)
    {
        var name = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (!string.Equals(name, request.CallingAeTitle, StringComparison.Ordinal)
            || await nodes.FindAsync(request.CallingAeTitle, cancellationToken).ConfigureAwait(false) is null)
        {
            return AssociationDecision.Rejected(AssociateRejectResult.Permanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.CallingAeTitleNotRecognized);
        }
        return await inner.DecideAsync(request, remoteEndPoint, cancellationToken).ConfigureAwait(false);
    }
}
