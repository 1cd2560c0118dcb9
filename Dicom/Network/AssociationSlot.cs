using System.Net;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>One connection's share of the quotas: its address now, its calling AE title once known.</summary>
public sealed class AssociationSlot : IDisposable
{
    private readonly AssociationLimiter _limiter;
    private readonly IPAddress? _address;
    private string? _callingAe;
    private int _disposed;

    internal AssociationSlot(AssociationLimiter limiter, IPAddress? address)
    {
        _limiter = limiter;
        _address = address;
    }

    /// <summary>
    /// Called with the A-ASSOCIATE-RQ once the policy would accept it: null to go on, or the A-ASSOCIATE-RJ to send
    /// when the calling AE title already holds its quota.
    /// </summary>
    public AssociateRejectPdu? AdmitCallingAe(AssociateRequestPdu request)
    {
        if (_callingAe is not null)
        {
            return null;
        }

        if (!_limiter.TryAddCallingAe(request.CallingAeTitle))
        {
            return AssociationLimiter.LocalLimitExceeded;
        }

        _callingAe = request.CallingAeTitle;
        return null;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _limiter.Leave(_address, _callingAe);
        }
    }
}
