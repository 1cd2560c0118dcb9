using System.Net;
using Pacs.Dicom.Network.Pdus;

namespace Pacs.Dicom.Network;

/// <summary>
/// Counts connections per address and per calling AE title against <see cref="AssociationLimits"/>. A connection
/// takes a slot before anything is read from it (so a flood of half-open connections from one address holds at
/// most that address's quota), and the calling AE title is counted once the A-ASSOCIATE-RQ has been read.
/// </summary>
public sealed class AssociationLimiter(AssociationLimits limits)
{
    /// <summary>PS3.8 Table 9-21: transient, service-provider (presentation), local limit exceeded.</summary>
    public static readonly AssociateRejectPdu LocalLimitExceeded =
        new(AssociateRejectResult.Transient, AssociateRejectSource.ServiceProviderPresentation, AssociateRejectReason.LocalLimitExceeded);

    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Dictionary<string, int> _perCallingAe = new(StringComparer.Ordinal);
    private int _total;
    private int _rejecting;

    public AssociationLimits Limits => limits;

    public int ActiveConnections
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>A slot for a new connection, or null when the node or this address is at its quota.</summary>
    public AssociationSlot? TryEnter(EndPoint? remote, out string refusal)
    {
        var address = AddressOf(remote);
        lock (_gate)
        {
            if (_total >= limits.MaxAssociations)
            {
                refusal = "node limit of concurrent associations reached";
                return null;
            }
            var count = address is null ? 0 : _perAddress.GetValueOrDefault(address);
            if (address is not null && count >= limits.MaxAssociationsPerAddress)
            {
                refusal = "limit of concurrent associations per address reached";
                return null;
            }
            _total++;
            if (address is not null)
            {
                _perAddress[address] = count + 1;
            }
        }
        refusal = "";
        return new AssociationSlot(this, address);
    }

    /// <summary>Permission to answer a refused connection with A-ASSOCIATE-RJ; dispose when done. Null: just close it.</summary>
    public IDisposable? TryEnterRejection()
    {
        if (Interlocked.Increment(ref _rejecting) <= limits.MaxConcurrentRejections)
        {
            return new Rejection(this);
        }

        Interlocked.Decrement(ref _rejecting);
        return null;
    }

    internal bool TryAddCallingAe(string callingAe)
    {
        lock (_gate)
        {
            var count = _perCallingAe.GetValueOrDefault(callingAe);
            if (count >= limits.MaxAssociationsPerCallingAe)
            {
                return false;
            }

            _perCallingAe[callingAe] = count + 1;
            return true;
        }
    }

    internal void Leave(IPAddress? address, string? callingAe)
    {
        lock (_gate)
        {
            _total--;
            if (address is not null)
            {
                Decrement(_perAddress, address);
            }

            if (callingAe is not null)
            {
                Decrement(_perCallingAe, callingAe);
            }
        }
    }

    private static void Decrement<TKey>(Dictionary<TKey, int> counts, TKey key) where TKey : notnull
    {
        // Entries are removed at zero, so the maps hold only addresses and titles that are connected now.
        if (counts.TryGetValue(key, out var n) && n > 1)
        {
            counts[key] = n - 1;
        }
        else
        {
            counts.Remove(key);
        }
    }

    /// <summary>IPv4 peers on a dual-mode socket appear as ::ffff:a.b.c.d; they are the same address.</summary>
    private static IPAddress? AddressOf(EndPoint? remote) =>
        remote is IPEndPoint ip ? (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) : null;

    private sealed class Rejection(AssociationLimiter limiter) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref limiter._rejecting);
            }
        }
    }
}
